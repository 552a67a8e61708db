#include "nets/layers.h"

#include <sstream>

#include "core/error.h"

namespace idef::nets::detail {

namespace nn = torch::nn;

nn::InstanceNorm2d instance_norm(int64_t channels) {
  return nn::InstanceNorm2d(nn::InstanceNorm2dOptions(channels).affine(true).track_running_stats(false));
}

void init_pix2pix(nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& m : module.modules(/*include_self=*/false)) {  // self may not be in a shared_ptr yet
    if (auto* conv = m->as<nn::Conv2d>()) {
      conv->weight.normal_(0.0, 0.02);
      if (conv->bias.defined()) conv->bias.zero_();
    } else if (auto* deconv = m->as<nn::ConvTranspose2d>()) {
      deconv->weight.normal_(0.0, 0.02);
      if (deconv->bias.defined()) deconv->bias.zero_();
    } else if (auto* norm = m->as<nn::InstanceNorm2d>()) {
      if (norm->weight.defined()) norm->weight.normal_(1.0, 0.02);
      if (norm->bias.defined()) norm->bias.zero_();
    }
  }
}

std::string shape_string(const torch::Tensor& t) {
  if (!t.defined()) return "an undefined tensor";
  std::ostringstream s;
  s << '[';
  for (int64_t i = 0; i < t.dim(); ++i) s << (i ? ", " : "") << t.size(i);
  s << ']';
  return s.str();
}

void check_image_size(const std::string& arch, int image_size, int multiple) {
  if (image_size <= 0 || image_size % multiple != 0)
    throw UsageError(arch + " needs an image size that is a multiple of " + std::to_string(multiple) +
                     " (got " + std::to_string(image_size) + ")");
}

void check_positive(const std::string& what, int value) {
  if (value < 1) throw UsageError(what + " must be at least 1 (got " + std::to_string(value) + ")");
}

void check_input(const std::string& who, const torch::Tensor& x, int64_t channels, int64_t multiple) {
  const bool ok = x.defined() && x.dim() == 4 && x.size(1) == channels && x.size(0) > 0 && x.size(2) > 0 &&
                  x.size(3) > 0 && x.size(2) % multiple == 0 && x.size(3) % multiple == 0;
  if (!ok)
    throw Error(who + ": expected images [N, " + std::to_string(channels) + ", H, W] with H and W multiples of " +
                std::to_string(multiple) + ", got " + shape_string(x));
}

// --- StarGAN generator ---------------------------------------------------------------

static nn::detail::conv_padding_mode_t padding_mode(bool reflect) {
  if (reflect) return torch::kReflect;
  return torch::kZeros;
}

ConvNormReluImpl::ConvNormReluImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
                                   bool transposed, bool reflect, int64_t output_padding) {
  if (transposed)
    deconv = register_module("conv", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, kernel)
                                                             .stride(stride)
                                                             .padding(padding)
                                                             .output_padding(output_padding)
                                                             .bias(false)));
  else
    conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, kernel)
                                                  .stride(stride)
                                                  .padding(padding)
                                                  .padding_mode(padding_mode(reflect))
                                                  .bias(false)));
  norm = register_module("norm", instance_norm(out));
}

torch::Tensor ConvNormReluImpl::forward(const torch::Tensor& x) {
  return torch::relu(norm(conv ? conv(x) : deconv(x)));
}

ResidualBlockImpl::ResidualBlockImpl(int64_t channels, bool reflect) {
  auto conv3 = [&] {
    return nn::Conv2d(nn::Conv2dOptions(channels, channels, 3)
                          .padding(1)
                          .padding_mode(padding_mode(reflect))
                          .bias(false));
  };
  conv1 = register_module("conv1", conv3());
  norm1 = register_module("norm1", instance_norm(channels));
  conv2 = register_module("conv2", conv3());
  norm2 = register_module("norm2", instance_norm(channels));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  return x + norm2(conv2(torch::relu(norm1(conv1(x)))));
}

ResNetBody::ResNetBody(nn::Module& owner, int64_t in_channels, int64_t out_channels, int64_t width,
                       int n_residual, ResNetStyle style) {
  const bool p2p = style == ResNetStyle::Pix2Pix;
  const int64_t k = p2p ? 3 : 4;  // kernel of the downs and ups
  stem_ = owner.register_module("stem", ConvNormRelu(in_channels, width, 7, 1, 3, false, p2p));
  down_ = owner.register_module("down", nn::ModuleList());
  int64_t c = width;
  for (int i = 0; i < 2; ++i, c *= 2) down_->push_back(ConvNormRelu(c, c * 2, k, 2, 1, false));
  if (n_residual > 0) {
    res_ = owner.register_module("res", nn::ModuleList());
    for (int i = 0; i < n_residual; ++i) res_->push_back(ResidualBlock(c, p2p));
  }
  up_ = owner.register_module("up", nn::ModuleList());
  for (int i = 0; i < 2; ++i, c /= 2) up_->push_back(ConvNormRelu(c, c / 2, k, 2, 1, true, false, p2p ? 1 : 0));
  head_ = owner.register_module(
      "head", nn::Conv2d(nn::Conv2dOptions(c, out_channels, 7)
                             .padding(3)
                             .padding_mode(padding_mode(p2p))
                             .bias(p2p)));
}

torch::Tensor ResNetBody::forward(const torch::Tensor& x) {
  torch::Tensor h = stem_->forward(x);
  for (const auto& m : *down_) h = m->as<ConvNormReluImpl>()->forward(h);
  if (res_)
    for (const auto& m : *res_) h = m->as<ResidualBlockImpl>()->forward(h);
  for (const auto& m : *up_) h = m->as<ConvNormReluImpl>()->forward(h);
  return torch::tanh(head_->forward(h));
}

// --- pix2pix U-Net ----------------------------------------------------------------------

UNetDownImpl::UNetDownImpl(int64_t in, int64_t out, bool activate_input_, bool normalise)
    : activate_input(activate_input_) {
  conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(2).padding(1).bias(!normalise)));
  if (normalise) norm = register_module("norm", instance_norm(out));
}

torch::Tensor UNetDownImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = conv(activate_input ? torch::leaky_relu(x, 0.2) : x);
  return norm ? norm(h) : h;
}

UNetUpImpl::UNetUpImpl(int64_t in, int64_t out, bool normalise) {
  conv = register_module(
      "conv", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1).bias(!normalise)));
  if (normalise) norm = register_module("norm", instance_norm(out));
}

torch::Tensor UNetUpImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = conv(torch::relu(x));
  return norm ? norm(h) : h;
}

UNetBody::UNetBody(nn::Module& owner, int64_t in_channels, int64_t out_channels, int64_t ngf, int downs) {
  auto channels = [&](int level) { return ngf * std::min<int64_t>(int64_t{1} << level, 8); };
  down_ = owner.register_module("down", nn::ModuleList());
  up_ = owner.register_module("up", nn::ModuleList());
  const int innermost = downs - 1;
  for (int i = 0; i < downs; ++i) {
    const int64_t in = i == 0 ? in_channels : channels(i - 1);
    down_->push_back(UNetDown(in, channels(i), /*activate_input=*/i > 0, /*normalise=*/i > 0 && i < innermost));
  }
  // up[i] undoes down[i]: it reads level i's features (concatenated with the skip from
  // down[i] except at the innermost level) and produces level i-1's resolution.
  for (int i = 0; i < downs; ++i) {
    const int64_t in = i == innermost ? channels(i) : 2 * channels(i);
    const int64_t out = i == 0 ? out_channels : channels(i - 1);
    up_->push_back(UNetUp(in, out, /*normalise=*/i > 0));
  }
}

torch::Tensor UNetBody::forward(const torch::Tensor& x) {
  const size_t n = down_->size();
  std::vector<torch::Tensor> features;
  features.reserve(n);
  torch::Tensor h = x;
  for (size_t i = 0; i < n; ++i) {
    h = down_->ptr<UNetDownImpl>(i)->forward(h);
    features.push_back(h);
  }
  for (size_t i = n; i-- > 0;) {
    const torch::Tensor in = i + 1 == n ? features[i] : torch::cat({features[i], h}, 1);
    h = up_->ptr<UNetUpImpl>(i)->forward(in);
  }
  return torch::tanh(h);
}

int unet_downs(const std::string& arch) {
  if (arch == "unet64") return 6;
  if (arch == "unet128") return 7;
  if (arch == "unet256") return 8;
  return 0;
}

int resnet_blocks(const std::string& arch) {
  if (arch == "res6") return 6;
  if (arch == "res9") return 9;
  if (arch == "cnet") return 0;
  return -1;
}

int pix2pix_resnet_blocks(const std::string& arch) {
  if (arch == "resnet_6blocks") return 6;
  if (arch == "resnet_9blocks") return 9;
  return -1;
}

}  // namespace idef::nets::detail
