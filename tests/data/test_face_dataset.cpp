#include "data/face_dataset.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/image.h"
#include "test_util.h"

namespace fs = std::filesystem;
using idef::test::ScratchDir;

namespace {

// A CelebA-layout folder of 4 tiny 20x24 images with distinct colours, one of them corrupt.
void make_layout(const ScratchDir& dir) {
  fs::create_directories(dir.path() / "img_align_celeba");
  for (int i = 0; i < 4; ++i) {
    idef::Rgb8 img(20, 24);
    for (int y = 0; y < 24; ++y)
      for (int x = 0; x < 20; ++x) {
        img.at(x, y, 0) = static_cast<std::uint8_t>(40 * i);
        img.at(x, y, 1) = static_cast<std::uint8_t>(x * 10);  // a left-right ramp, to see flips
        img.at(x, y, 2) = 7;
      }
    idef::save_rgb8(dir / ("img_align_celeba/00000" + std::to_string(i + 1) + ".png"), img);
  }
  idef::write_all(dir / "img_align_celeba/000005.png", "not a png");
  idef::write_all(dir / "list_attr_celeba.txt",
                  "5\nBlack_Hair Blond_Hair Male\n000001.png 1 -1 1\n000002.png -1 1 -1\n"
                  "000003.png 1 -1 -1\n000004.png -1 1 1\n000005.png 1 -1 1\n");
  idef::write_all(dir / "list_eval_partition.txt", "000001.png 0\n000002.png 0\n000003.png 1\n000004.png 0\n000005.png 0\n");
}

}  // namespace

TEST(FaceDataset, ReadsCelebaLayoutSkippingUnreadableImages) {
  ScratchDir dir;
  make_layout(dir);
  std::vector<std::string> warnings;
  idef::DatasetOptions opt;
  opt.attributes = {"Male", "Black_Hair"};
  opt.image_size = 16;
  auto data = idef::FaceDataset::celeba(dir.path().string(), opt, [&](const std::string& w) { warnings.push_back(w); });
  EXPECT_EQ(data.names(), (std::vector<std::string>{"000001.png", "000002.png", "000004.png"}));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("000005.png"), std::string::npos) << warnings[0];
  EXPECT_EQ(data.images().sizes(), (std::vector<std::int64_t>{3, 3, 16, 16}));
  EXPECT_TRUE(torch::equal(data.labels(), torch::tensor({1.f, 1.f, 0.f, 0.f, 1.f, 0.f}).reshape({3, 2})));
  // Red channel of image 4 is 120 everywhere; crop + resize keeps a flat colour flat.
  EXPECT_EQ(data.images()[2][0].min().item<int>(), 120);
  EXPECT_EQ(data.images()[2][0].max().item<int>(), 120);

  opt.split = "val";
  auto val = idef::FaceDataset::celeba(dir.path().string(), opt, nullptr);
  EXPECT_EQ(val.names(), std::vector<std::string>{"000003.png"});
}

TEST(FaceDataset, UnknownAttributeOrMissingLayoutIsAnInputError) {
  ScratchDir dir;
  make_layout(dir);
  idef::DatasetOptions opt;
  opt.attributes = {"Eyeglasses"};
  EXPECT_THROW(idef::FaceDataset::celeba(dir.path().string(), opt, nullptr), idef::InputError);
  EXPECT_THROW(idef::FaceDataset::celeba((dir.path() / "img_align_celeba").string(), {}, nullptr), idef::InputError);
}

TEST(FaceDataset, BatchScalesAndFlips) {
  ScratchDir dir;
  make_layout(dir);
  idef::DatasetOptions opt;
  opt.attributes = {"Male"};
  opt.image_size = 16;
  auto data = idef::FaceDataset::celeba(dir.path().string(), opt, nullptr);
  auto [x, c] = data.batch({0, 1, 2});
  EXPECT_NEAR(x[0][2][0][0].item<float>(), 7 / 127.5 - 1, 1e-6);
  EXPECT_EQ(c.sizes(), (std::vector<std::int64_t>{3, 1}));
  std::mt19937_64 rng(3);
  bool saw_flip = false;
  for (int trial = 0; trial < 8; ++trial) {
    auto [xf, cf] = data.batch({0, 1, 2}, &rng);
    for (int i = 0; i < 3; ++i) {
      bool same = torch::equal(xf[i], x[i]), flipped = torch::equal(xf[i], x[i].flip({2}));
      EXPECT_TRUE(same || flipped);
      saw_flip |= flipped && !same;
    }
  }
  EXPECT_TRUE(saw_flip);
}

TEST(FaceDataset, FolderReadsEveryImageSorted) {
  ScratchDir dir;
  make_layout(dir);
  idef::DatasetOptions opt;
  opt.image_size = 8;
  int warnings = 0;
  auto data = idef::FaceDataset::folder(dir / "img_align_celeba", opt, [&](const std::string&) { ++warnings; });
  EXPECT_EQ(data.size(), 4);
  EXPECT_EQ(warnings, 1);
  EXPECT_EQ(data.names().front(), "000001.png");
  EXPECT_EQ(data.c_dim(), 0);
}

TEST(FaceDataset, VideoFramesFromAFileAndAY4mStream) {
  ScratchDir dir;
  auto made = idef::test::run_command(
      "ffmpeg -v error -f lavfi -i testsrc2=size=48x32:rate=10 -frames:v 7 -pix_fmt yuv420p '" + dir / "v.y4m" +
      "' && ffmpeg -v error -i '" + dir / "v.y4m" + "' -c:v libx264 -crf 10 '" + dir / "v.mp4" + "'");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  idef::DatasetOptions opt;
  opt.image_size = 16;
  auto y4m = idef::FaceDataset::video(dir / "v.y4m", opt);
  auto mp4 = idef::FaceDataset::video(dir / "v.mp4", opt);
  EXPECT_EQ(y4m.size(), 7);
  EXPECT_EQ(mp4.size(), 7);
  EXPECT_EQ(y4m.images().sizes(), (std::vector<std::int64_t>{7, 3, 16, 16}));
  // The same frames through two decoders: close, not equal (x264 is lossy).
  double diff = (y4m.images().to(torch::kFloat) - mp4.images().to(torch::kFloat)).abs().mean().item<double>();
  EXPECT_LT(diff, 6.0);
  opt.limit = 3;
  EXPECT_EQ(idef::FaceDataset::video(dir / "v.y4m", opt).size(), 3);
}
