#include "nets/discriminators.h"

#include "core/error.h"
#include "nets/layers.h"

namespace idef::nets {

namespace nn = torch::nn;

int stargan_discriminator_repeat(int image_size) {
  int repeat = 0;
  while (repeat < 6 && image_size % (2 << repeat) == 0 && image_size / (2 << repeat) >= 2) ++repeat;
  return repeat;
}

StarGanDiscriminatorImpl::StarGanDiscriminatorImpl(int image_size_, int conv_dim, int c_dim, int repeat_num_)
    : image_size(image_size_), repeat_num(repeat_num_) {
  detail::check_positive("stargan-d width (conv_dim)", conv_dim);
  detail::check_positive("stargan-d label count (c_dim)", c_dim);
  if (repeat_num == kAutoRepeat) {
    repeat_num = stargan_discriminator_repeat(image_size);
    if (repeat_num < 1)
      throw UsageError("stargan-d needs an even image size of at least 4 (got " + std::to_string(image_size) + ")");
  }
  if (repeat_num < 1 || repeat_num > 30)
    throw UsageError("stargan-d repeat count must be 1 to 30 (got " + std::to_string(repeat_num) + ")");
  detail::check_image_size("stargan-d with " + std::to_string(repeat_num) + " downsamplings", image_size,
                           1 << repeat_num);

  main = register_module("main", nn::Sequential());
  int64_t c = 3;
  for (int i = 0; i < repeat_num; ++i) {
    const int64_t out = i == 0 ? conv_dim : c * 2;
    main->push_back(nn::Conv2d(nn::Conv2dOptions(c, out, 4).stride(2).padding(1)));
    main->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.01)));
    c = out;
  }
  const int64_t final_size = image_size >> repeat_num;
  src = register_module("src", nn::Conv2d(nn::Conv2dOptions(c, 1, 3).padding(1).bias(false)));
  cls = register_module("cls", nn::Conv2d(nn::Conv2dOptions(c, c_dim, final_size).bias(false)));
}

std::pair<torch::Tensor, torch::Tensor> StarGanDiscriminatorImpl::forward(const torch::Tensor& x) {
  if (!x.defined() || x.dim() != 4 || x.size(1) != 3 || x.size(2) != image_size || x.size(3) != image_size)
    throw Error("stargan-d: expected images [N, 3, " + std::to_string(image_size) + ", " +
                std::to_string(image_size) + "], got " + detail::shape_string(x));
  const torch::Tensor h = main->forward(x);
  const torch::Tensor logits = cls(h);
  return {src(h), logits.view({logits.size(0), logits.size(1)})};
}

PatchDiscriminatorImpl::PatchDiscriminatorImpl(int in_channels_, int ndf, int n_layers_)
    : in_channels(in_channels_), n_layers(n_layers_) {
  detail::check_positive("patch-d input channels", in_channels);
  detail::check_positive("patch-d width (ndf)", ndf);
  detail::check_positive("patch-d layer count", n_layers);
  if (n_layers > 20) throw UsageError("patch-d layer count must be at most 20 (got " + std::to_string(n_layers) + ")");
  auto leaky = [] { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)); };
  auto conv = [](int64_t in, int64_t out, int64_t stride, bool bias) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(stride).padding(1).bias(bias));
  };
  main = register_module("main", nn::Sequential());
  main->push_back(conv(in_channels, ndf, 2, true));
  main->push_back(leaky());
  int64_t c = ndf;
  for (int k = 1; k <= n_layers; ++k) {
    const int64_t out = ndf * std::min<int64_t>(int64_t{1} << k, 8);
    main->push_back(conv(c, out, k < n_layers ? 2 : 1, false));  // the norm's shift is the bias
    main->push_back(detail::instance_norm(out));
    main->push_back(leaky());
    c = out;
  }
  main->push_back(conv(c, 1, 1, true));
  detail::init_pix2pix(*this);
}

torch::Tensor PatchDiscriminatorImpl::forward(const torch::Tensor& x) {
  const int64_t min_size = int64_t{3} << n_layers;
  if (!x.defined() || x.dim() != 4 || x.size(1) != in_channels || x.size(2) < min_size || x.size(3) < min_size)
    throw Error("patch-d: expected images [N, " + std::to_string(in_channels) + ", H, W] with H, W >= " +
                std::to_string(min_size) + ", got " + detail::shape_string(x));
  return main->forward(x);
}

}  // namespace idef::nets
