#include "nets/discriminators.h"

#include <gtest/gtest.h>

#include "test_util.h"

#include "core/error.h"

using idef::nets::PatchDiscriminator;
using idef::nets::StarGanDiscriminator;

namespace {

using Shape = std::vector<int64_t>;

}  // namespace

TEST(NetsStarGanD, ShapesAt64And128) {
  torch::manual_seed(1);
  StarGanDiscriminator d128(128, 4, 5);
  EXPECT_EQ(d128->repeat_num, 6);
  auto [src, cls] = d128->forward(torch::rand({2, 3, 128, 128}) * 2 - 1);
  EXPECT_EQ(src.sizes(), (Shape{2, 1, 2, 2}));
  EXPECT_EQ(cls.sizes(), (Shape{2, 5}));

  StarGanDiscriminator d64(64, 4, 3);  // auto: 5 downsamplings keep StarGAN's 2×2 final map
  EXPECT_EQ(d64->repeat_num, 5);
  auto [src64, cls64] = d64->forward(torch::rand({3, 3, 64, 64}));
  EXPECT_EQ(src64.sizes(), (Shape{3, 1, 2, 2}));
  EXPECT_EQ(cls64.sizes(), (Shape{3, 3}));

  StarGanDiscriminator d64x6(64, 4, 5, 6);  // StarGAN's count at 64: a 1×1 final map
  auto [src66, cls66] = d64x6->forward(torch::rand({1, 3, 64, 64}));
  EXPECT_EQ(src66.sizes(), (Shape{1, 1, 1, 1}));
  EXPECT_EQ(cls66.sizes(), (Shape{1, 5}));

  StarGanDiscriminator d32(32, 4, 5);
  EXPECT_EQ(d32->repeat_num, 4);
  EXPECT_EQ(d32->forward(torch::rand({1, 3, 32, 32})).first.sizes(), (Shape{1, 1, 2, 2}));
}

TEST(NetsStarGanD, AutomaticDepth) {
  EXPECT_EQ(idef::nets::stargan_discriminator_repeat(256), 6);
  EXPECT_EQ(idef::nets::stargan_discriminator_repeat(128), 6);
  EXPECT_EQ(idef::nets::stargan_discriminator_repeat(96), 5);  // 3×3 final map
  EXPECT_EQ(idef::nets::stargan_discriminator_repeat(64), 5);
  EXPECT_EQ(idef::nets::stargan_discriminator_repeat(4), 1);
  EXPECT_EQ(idef::nets::stargan_discriminator_repeat(3), 0);
}

TEST(NetsStarGanD, HasStarGansParameterCount) {
  // StarGAN's D at 128 px, conv_dim 64, c_dim 5, repeat_num 6 has 44,762,048 parameters.
  EXPECT_EQ(idef::test::parameter_count(*StarGanDiscriminator(128, 64, 5)), 44762048);
}

TEST(NetsStarGanD, RefusesSizesItCannotDivide) {
  EXPECT_THROW(StarGanDiscriminator(32, 4, 5, 6), idef::UsageError);
  EXPECT_THROW(StarGanDiscriminator(100, 4, 5, 6), idef::UsageError);
  EXPECT_THROW(StarGanDiscriminator(2, 4, 5), idef::UsageError);
  EXPECT_THROW(StarGanDiscriminator(64, 0, 5), idef::UsageError);
  try {
    StarGanDiscriminator(32, 4, 5, 6);
  } catch (const idef::UsageError& e) {
    EXPECT_STREQ(e.what(), "stargan-d with 6 downsamplings needs an image size that is a multiple of 64 (got 32)");
  }
  StarGanDiscriminator d(64, 4, 5);
  EXPECT_THROW(d->forward(torch::zeros({1, 3, 128, 128})), idef::Error);
  EXPECT_THROW(d->forward(torch::zeros({1, 1, 64, 64})), idef::Error);
}

TEST(NetsStarGanD, ClassifierSeesTheImage) {
  torch::manual_seed(2);
  StarGanDiscriminator d(64, 4, 5);
  auto a = d->forward(torch::rand({1, 3, 64, 64}));
  auto b = d->forward(torch::rand({1, 3, 64, 64}));
  EXPECT_GT((a.second - b.second).abs().max().item<float>(), 0.0f);
  EXPECT_GT((a.first - b.first).abs().max().item<float>(), 0.0f);
}

TEST(NetsPatchD, ShapesFollowPix2Pix) {
  torch::manual_seed(3);
  PatchDiscriminator d6(6, 4);  // conditional: landmarks + image
  EXPECT_EQ(d6->forward(torch::rand({2, 6, 256, 256})).sizes(), (Shape{2, 1, 30, 30}));
  EXPECT_EQ(d6->forward(torch::rand({1, 6, 128, 128})).sizes(), (Shape{1, 1, 14, 14}));
  PatchDiscriminator d3(3, 8);
  EXPECT_EQ(d3->forward(torch::rand({2, 3, 64, 64})).sizes(), (Shape{2, 1, 6, 6}));
  EXPECT_EQ(d3->forward(torch::rand({1, 3, 24, 24})).sizes(), (Shape{1, 1, 1, 1}));
  PatchDiscriminator d2(3, 8, 2);
  EXPECT_EQ(d2->forward(torch::rand({1, 3, 64, 64})).sizes(), (Shape{1, 1, 14, 14}));
}

TEST(NetsPatchD, HasPix2PixsParameterCount) {
  // pix2pix's conditional PatchGAN (input_nc 6, ndf 64, n_layers 3) prints 2.769 M; exactly
  // 2,768,705 (InstanceNorm's affine parameters replace BatchNorm's one for one).
  EXPECT_EQ(idef::test::parameter_count(*PatchDiscriminator(6, 64, 3)), 2768705);
}

TEST(NetsPatchD, RefusesTooSmallOrWrongInputs) {
  PatchDiscriminator d(3, 4);
  EXPECT_THROW(d->forward(torch::zeros({1, 3, 16, 16})), idef::Error);
  EXPECT_THROW(d->forward(torch::zeros({1, 6, 64, 64})), idef::Error);
  EXPECT_THROW(PatchDiscriminator(3, 4, 0), idef::UsageError);
  EXPECT_THROW(PatchDiscriminator(0, 4), idef::UsageError);
}
