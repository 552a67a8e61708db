// Discriminators: StarGAN's DA (real/fake + attribute classifier, docs/method.md) and pix2pix's
// PatchGAN for the reenactment surrogate (docs/method.md). The WGAN-GP critic DB of stage B can be
// either (it only uses the real/fake output).
#pragma once
#include <utility>

#include <torch/torch.h>

namespace idef::nets {

// StarGAN discriminator: repeat_num 4×4 stride-2 convs from conv_dim channels, doubling,
// each followed by LeakyReLU 0.01 (no norm, as StarGAN); then a 3×3 real/fake head
// (src: [N, 1, h, w] with h = image_size / 2^repeat_num) and a classification head whose
// kernel covers the whole final map (cls: [N, c_dim] logits).
//
// repeat_num = kAutoRepeat (the default) picks the largest count ≤ 6 that leaves a final
// map of at least 2×2 that divides the image exactly: 6 at 128 and 256 (StarGAN's value),
// 5 at 64, 4 at 32. An explicit repeat_num must divide the image size into a map of at least
// 1×1, otherwise idef::UsageError. forward() needs images of exactly image_size.
struct StarGanDiscriminatorImpl : torch::nn::Module {
  static constexpr int kAutoRepeat = 0;
  StarGanDiscriminatorImpl(int image_size, int conv_dim, int c_dim, int repeat_num = kAutoRepeat);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);

  int image_size, repeat_num;
  torch::nn::Sequential main{nullptr};
  torch::nn::Conv2d src{nullptr}, cls{nullptr};
};
TORCH_MODULE(StarGanDiscriminator);

// The repeat_num that kAutoRepeat resolves to at this image size.
int stargan_discriminator_repeat(int image_size);

// pix2pix NLayerDiscriminator: 4×4 conv stride 2 (ndf, LeakyReLU 0.2, no norm), n_layers-1
// more stride-2 convs and one stride-1 conv with ndf·min(2^k, 8) channels, InstanceNorm and
// LeakyReLU 0.2, then a 4×4 stride-1 conv to one channel (logits / critic scores per patch).
// n_layers = 3 gives 70×70 receptive fields; a 256 input gives a [N, 1, 30, 30] map, 64 gives
// [N, 1, 6, 6]. Inputs smaller than 2^n_layers · 3 leave no patch: forward throws idef::Error.
// pix2pix init (N(0, 0.02)).
struct PatchDiscriminatorImpl : torch::nn::Module {
  PatchDiscriminatorImpl(int in_channels, int ndf = 64, int n_layers = 3);
  torch::Tensor forward(const torch::Tensor& x);

  int in_channels, n_layers;
  torch::nn::Sequential main{nullptr};
};
TORCH_MODULE(PatchDiscriminator);

}  // namespace idef::nets
