#include "data/attributes.h"

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "test_util.h"

using idef::test::ScratchDir;

static std::string error_of(const std::string& path) {
  try {
    idef::read_attribute_list(path);
  } catch (const idef::InputError& e) {
    return e.what();
  }
  return "";
}

TEST(AttributeList, ReadsCelebaFormat) {
  ScratchDir dir;
  idef::write_all(dir / "a.txt", "2\nBlack_Hair Male Smiling\n000001.jpg  1 -1 -1\n000002.jpg -1  1  1\n");
  auto list = idef::read_attribute_list(dir / "a.txt");
  EXPECT_EQ(list.names, (std::vector<std::string>{"Black_Hair", "Male", "Smiling"}));
  EXPECT_EQ(list.files, (std::vector<std::string>{"000001.jpg", "000002.jpg"}));
  EXPECT_EQ(list.values[1], (std::vector<std::int8_t>{-1, 1, 1}));
  EXPECT_EQ(list.index_of("Male"), 1);
  EXPECT_EQ(list.index_of("Young"), -1);
}

TEST(AttributeList, MalformedLinesNameFileAndLine) {
  ScratchDir dir;
  idef::write_all(dir / "short.txt", "2\nA B\nx.jpg 1 -1\ny.jpg 1\n");
  std::string e = error_of(dir / "short.txt");
  EXPECT_NE(e.find("short.txt"), std::string::npos) << e;
  EXPECT_NE(e.find("line 4: expected 2 values"), std::string::npos) << e;

  idef::write_all(dir / "value.txt", "1\nA B\nx.jpg 1 yes\n");
  EXPECT_NE(error_of(dir / "value.txt").find("line 3: 'yes' is not 1 or -1"), std::string::npos);
  idef::write_all(dir / "count.txt", "3\nA\nx.jpg 1\n");
  EXPECT_NE(error_of(dir / "count.txt").find("declares 3 images but lists 1"), std::string::npos);
  idef::write_all(dir / "head.txt", "many\nA\n");
  EXPECT_NE(error_of(dir / "head.txt").find("line 1"), std::string::npos);
}

TEST(AttributeList, PartitionErrorsNameTheLine) {
  ScratchDir dir;
  idef::write_all(dir / "p.txt", "a.png 0\nb.png 2\n");
  auto split = idef::read_partition(dir / "p.txt");
  EXPECT_EQ(split.at("b.png"), 2);
  idef::write_all(dir / "bad.txt", "a.png 0\nb.png 7\n");
  try {
    idef::read_partition(dir / "bad.txt");
    FAIL();
  } catch (const idef::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos);
  }
}

// StarGAN's create_labels: hair colours are set one-hot, other attributes flipped.
TEST(TargetDomains, HairColoursAreSetOthersFlipped) {
  std::vector<std::string> attrs{"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"};
  std::vector<std::vector<float>> labels{{1, 0, 0, 1, 0}};
  auto domains = idef::target_domains(labels, attrs);
  ASSERT_EQ(domains.size(), 5u);
  EXPECT_EQ(domains[0][0], (std::vector<float>{1, 0, 0, 1, 0}));
  EXPECT_EQ(domains[1][0], (std::vector<float>{0, 1, 0, 1, 0}));
  EXPECT_EQ(domains[2][0], (std::vector<float>{0, 0, 1, 1, 0}));
  EXPECT_EQ(domains[3][0], (std::vector<float>{1, 0, 0, 0, 0}));
  EXPECT_EQ(domains[4][0], (std::vector<float>{1, 0, 0, 1, 1}));
}
