#include "data/celeba_layout.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/image.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace idef::synth {
namespace {

using test::ScratchDir;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  std::stringstream in(line);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

TEST(SynthCelebaLayout, WritesImagesListsAndCounterfactuals) {
  ScratchDir dir;
  CelebaWriteOptions o;
  o.seed = 11;
  o.count = 6;
  o.size = 32;
  o.counterfactuals = true;
  o.counterfactual_attributes = {"Eyeglasses", "Black_Hair"};
  std::int64_t reported = 0;
  o.on_face = [&reported](std::int64_t done) { reported = done; };
  write_celeba(dir / "out", o);
  EXPECT_EQ(reported, 6);

  // Images: lossless PNG, exactly the rendered faces and counterfactuals.
  for (int k = 0; k < 6; ++k) {
    std::string name = celeba_file_name(k + 1);
    FaceParams face = sample_face(11, k);
    Image img = Image::load(dir / ("out/img_align_celeba/" + name));
    EXPECT_EQ(img.rgb(), render(face, 32)) << name;
    EXPECT_EQ(Image::load(dir / ("out/counterfactuals/Eyeglasses/" + name)).rgb(),
              render(with_attribute(face, "Eyeglasses"), 32));
  }
  EXPECT_TRUE(fs::exists(dir / "out/counterfactuals/Black_Hair/000006.png"));
  EXPECT_FALSE(fs::exists(dir / "out/counterfactuals/Smiling"));
  EXPECT_FALSE(fs::exists(dir / "out/img_align_celeba/000007.png"));

  // list_attr_celeba.txt: count, the 40 names, then name and 40 values of ±1.
  auto attr = lines_of(read_all(dir / "out/list_attr_celeba.txt"));
  ASSERT_EQ(attr.size(), 8u);
  EXPECT_EQ(attr[0], "6");
  auto names = words_of(attr[1]);
  ASSERT_EQ(names.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(names[i], kCelebAAttributes[i]);
  for (int k = 0; k < 6; ++k) {
    auto words = words_of(attr[2 + k]);
    ASSERT_EQ(words.size(), 41u);
    EXPECT_EQ(words[0], celeba_file_name(k + 1));
    auto expected = attribute_vector(sample_face(11, k));
    for (int i = 0; i < 40; ++i) {
      EXPECT_TRUE(words[1 + i] == "1" || words[1 + i] == "-1") << words[1 + i];
      EXPECT_EQ(std::stoi(words[1 + i]), expected[i]);
    }
  }
  // CelebA's spacing: "000001.png -1  1 ...".
  EXPECT_EQ(attr[2].substr(10, 3).find_first_not_of(" -1"), std::string::npos);

  auto part = lines_of(read_all(dir / "out/list_eval_partition.txt"));
  ASSERT_EQ(part.size(), 6u);
  for (int k = 0; k < 6; ++k) {
    auto words = words_of(part[k]);
    ASSERT_EQ(words.size(), 2u);
    EXPECT_EQ(words[0], celeba_file_name(k + 1));
    EXPECT_TRUE(words[1] == "0" || words[1] == "1" || words[1] == "2");
  }

  auto marks = lines_of(read_all(dir / "out/list_landmarks_68.txt"));
  ASSERT_EQ(marks.size(), 8u);
  EXPECT_EQ(marks[0], "6");
  EXPECT_EQ(words_of(marks[1]).size(), 136u);
  auto row = words_of(marks[2]);
  ASSERT_EQ(row.size(), 137u);
  auto l = landmarks(sample_face(11, 0), 32);
  EXPECT_NEAR(std::stod(row[1 + 2 * 30]), l[30].x, 0.006);
  EXPECT_NEAR(std::stod(row[2 + 2 * 30]), l[30].y, 0.006);

  // No temporary files left behind.
  for (const auto& e : fs::recursive_directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(SynthCelebaLayout, StartIndexContinuesTheSameDataSet) {
  ScratchDir dir;
  CelebaWriteOptions all;
  all.count = 4;
  all.size = 32;
  write_celeba(dir / "all", all);
  CelebaWriteOptions tail = all;
  tail.count = 2;
  tail.start_index = 2;
  write_celeba(dir / "tail", tail);
  EXPECT_FALSE(fs::exists(dir / "tail/img_align_celeba/000001.png"));
  for (const char* name : {"000003.png", "000004.png"})
    EXPECT_EQ(read_all(dir / ("tail/img_align_celeba/" + std::string(name))),
              read_all(dir / ("all/img_align_celeba/" + std::string(name))));
  auto a = lines_of(read_all(dir / "all/list_attr_celeba.txt"));
  auto t = lines_of(read_all(dir / "tail/list_attr_celeba.txt"));
  EXPECT_EQ(t[2], a[4]);
  EXPECT_EQ(t[3], a[5]);
  auto pa = lines_of(read_all(dir / "all/list_eval_partition.txt"));
  auto pt = lines_of(read_all(dir / "tail/list_eval_partition.txt"));
  EXPECT_EQ(pt[0], pa[2]);
}

TEST(SynthCelebaLayout, PartitionFollowsTheFractions) {
  SplitFractions split;
  int counts[3] = {0, 0, 0};
  const int n = 20000;
  for (int i = 0; i < n; ++i) ++counts[partition_of(5, i, split)];
  EXPECT_NEAR(counts[0] / double(n), 0.8, 0.015);
  EXPECT_NEAR(counts[1] / double(n), 0.1, 0.015);
  EXPECT_NEAR(counts[2] / double(n), 0.1, 0.015);
  SplitFractions only_train = parse_split("1,0,0");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(partition_of(5, i, only_train), 0);
  auto two = parse_split("0.7,0.2");
  EXPECT_NEAR(two.test, 0.1, 1e-12);
  EXPECT_THROW(parse_split("0.5,0.6,0.1"), UsageError);
  EXPECT_THROW(parse_split("a,b,c"), UsageError);
  EXPECT_THROW(parse_split("0.8"), UsageError);
  EXPECT_THROW(parse_split("1.2,-0.1,-0.1"), UsageError);
}

TEST(SynthCelebaLayout, UnknownCounterfactualIsRefusedBeforeWriting) {
  ScratchDir dir;
  CelebaWriteOptions o;
  o.count = 2;
  o.size = 32;
  o.counterfactuals = true;
  o.counterfactual_attributes = {"Wearing_Hat"};
  EXPECT_THROW(write_celeba(dir / "out", o), UsageError);
  EXPECT_FALSE(fs::exists(dir / "out"));
}

}  // namespace
}  // namespace idef::synth
