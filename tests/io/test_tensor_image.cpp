#include "io/tensor_image.h"

#include <gtest/gtest.h>

namespace idef {
namespace {

Rgb8 every_value_image() {
  Rgb8 im(16, 16);  // 768 samples: each of the 256 values three times, in all channels
  for (size_t i = 0; i < im.pixels.size(); ++i) im.pixels[i] = std::uint8_t((i * 37) % 256);
  return im;
}

TEST(TensorImage, EightBitRoundTripIsLossless) {
  Rgb8 im = every_value_image();
  torch::Tensor t = rgb8_to_tensor(im);
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{1, 3, 16, 16}));
  EXPECT_EQ(t.dtype(), torch::kFloat32);
  EXPECT_EQ(tensor_to_rgb8(t), im);
  EXPECT_EQ(tensor_to_rgb8(t[0]), im);  // [3, H, W] accepted too
}

TEST(TensorImage, LayoutAndScale) {
  Rgb8 im(3, 2);
  im.at(2, 1, 0) = 255;  // red at x=2, y=1
  im.at(0, 0, 2) = 0;
  im.at(1, 0, 1) = 51;
  torch::Tensor t = rgb8_to_tensor(im);
  EXPECT_FLOAT_EQ(t[0][0][1][2].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(t[0][2][0][0].item<float>(), -1.0f);
  EXPECT_FLOAT_EQ(t[0][1][0][1].item<float>(), 51 / 127.5f - 1.0f);
}

TEST(TensorImage, BackConversionRoundsAndClamps) {
  torch::Tensor t = torch::tensor({-3.0f, -1.0f, 0.0f, 0.004f, 1.0f, 7.0f}).reshape({1, 3, 1, 2});
  Rgb8 im = tensor_to_rgb8(t);
  // channel 0: (-3, -1), channel 1: (0, 0.004), channel 2: (1, 7)
  EXPECT_EQ(im.at(0, 0, 0), 0);
  EXPECT_EQ(im.at(1, 0, 0), 0);
  EXPECT_EQ(im.at(0, 0, 1), 128);  // 127.5: ties go to even
  EXPECT_EQ(im.at(1, 0, 1), 128);  // 128.01
  EXPECT_EQ(im.at(0, 0, 2), 255);
  EXPECT_EQ(im.at(1, 0, 2), 255);
}

TEST(TensorImage, BatchesKeepTheirOrder) {
  Rgb8 a = every_value_image(), b = every_value_image();
  std::reverse(b.pixels.begin(), b.pixels.end());
  torch::Tensor t = rgb8_to_tensor(std::vector<Rgb8>{a, b});
  ASSERT_EQ(t.size(0), 2);
  auto back = tensor_to_rgb8_batch(t);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0], a);
  EXPECT_EQ(back[1], b);
  EXPECT_THROW(rgb8_to_tensor(std::vector<Rgb8>{a, Rgb8(2, 2)}), std::invalid_argument);
  EXPECT_THROW(tensor_to_rgb8(t), std::invalid_argument);
}

}  // namespace
}  // namespace idef
