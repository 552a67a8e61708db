#include "nets/translator.h"

#include <algorithm>

#include "core/error.h"
#include "nets/layers.h"

namespace idef::nets {

namespace {

class ResNetTranslator final : public TranslatorImpl {
 public:
  ResNetTranslator(const TranslatorConfig& config, int n_residual, detail::ResNetStyle style)
      : TranslatorImpl(config),
        body_(*this, config.in_channels, config.out_channels, config.width, n_residual, style) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    detail::check_input(config().arch + " translator", x, config().in_channels, detail::ResNetBody::kSizeMultiple);
    return body_.forward(x);
  }

 private:
  detail::ResNetBody body_;
};

class UNetTranslator final : public TranslatorImpl {
 public:
  UNetTranslator(const TranslatorConfig& config, int downs)
      : TranslatorImpl(config), downs_(downs),
        body_(*this, config.in_channels, config.out_channels, config.width, downs) {
    detail::init_pix2pix(*this);
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    detail::check_input(config().arch + " translator", x, config().in_channels, int64_t{1} << downs_);
    return body_.forward(x);
  }

 private:
  int downs_;
  detail::UNetBody body_;
};

// The perturbation generator of the authors' released code: a 5-level U-Net whose levels
// are two 3×3 conv → BatchNorm → ReLU blocks, average pooling down, bilinear upsampling up
// (no transposed convolutions, so no checkerboard in δ), skips concatenated, a 1×1 head and
// tanh. Channels ngf·{1, 2, 4, 8, 16}.
class PoolUNetTranslator final : public TranslatorImpl {
 public:
  static constexpr int kLevels = 5;
  explicit PoolUNetTranslator(const TranslatorConfig& config) : TranslatorImpl(config) {
    down_ = register_module("down", torch::nn::ModuleList());
    up_ = register_module("up", torch::nn::ModuleList());
    up_conv_ = register_module("up_conv", torch::nn::ModuleList());
    int64_t in = config.in_channels;
    for (int level = 0; level < kLevels; ++level) {
      const int64_t out = int64_t{config.width} << level;
      down_->push_back(double_conv(in, out));
      in = out;
    }
    for (int level = kLevels - 2; level >= 0; --level) {
      const int64_t out = int64_t{config.width} << level;
      up_conv_->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
      up_->push_back(double_conv(2 * out, out));
      in = out;
    }
    head_ = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, config.out_channels, 1)));
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    detail::check_input(config().arch + " translator", x, config().in_channels, int64_t{1} << (kLevels - 1));
    namespace F = torch::nn::functional;
    std::vector<torch::Tensor> skips;
    torch::Tensor h = x;
    for (int level = 0; level < kLevels; ++level) {
      if (level > 0) h = F::avg_pool2d(h, F::AvgPool2dFuncOptions(2));
      h = down_[level]->as<torch::nn::Sequential>()->forward(h);
      skips.push_back(h);
    }
    for (int i = 0; i < kLevels - 1; ++i) {
      h = F::interpolate(h, F::InterpolateFuncOptions()
                                .scale_factor(std::vector<double>{2.0, 2.0})
                                .mode(torch::kBilinear)
                                .align_corners(false));
      h = up_conv_[i]->as<torch::nn::Conv2d>()->forward(h);
      h = torch::cat({skips[static_cast<std::size_t>(kLevels - 2 - i)], h}, 1);
      h = up_[i]->as<torch::nn::Sequential>()->forward(h);
    }
    return torch::tanh(head_->forward(h));
  }

 private:
  static torch::nn::Sequential double_conv(int64_t in, int64_t out) {
    namespace nn = torch::nn;
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)), nn::BatchNorm2d(out),
                          nn::ReLU(), nn::Conv2d(nn::Conv2dOptions(out, out, 3).padding(1).bias(false)),
                          nn::BatchNorm2d(out), nn::ReLU());
  }
  torch::nn::ModuleList down_{nullptr}, up_{nullptr}, up_conv_{nullptr};
  torch::nn::Conv2d head_{nullptr};
};

class UniversalPattern final : public TranslatorImpl {
 public:
  explicit UniversalPattern(const TranslatorConfig& config) : TranslatorImpl(config) {
    // Smooth noise: a grid of one value per 16 px, bilinearly upsampled, scaled so that
    // tanh saturates over most of the crop (|δ| near 1 is what a forger's model can learn).
    const int size = config.image_size, cells = std::max(2, size / 16);
    torch::Tensor coarse = torch::randn({1, config.out_channels, cells, cells});
    torch::Tensor smooth = torch::nn::functional::interpolate(
        coarse, torch::nn::functional::InterpolateFuncOptions()
                    .size(std::vector<int64_t>{size, size})
                    .mode(torch::kBilinear)
                    .align_corners(false));
    pattern_ = register_parameter("pattern", 2 * smooth / smooth.std());
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    const int size = config().image_size;
    detail::check_input("universal perturbation", x, config().in_channels, 1);
    if (x.size(2) != size || x.size(3) != size)
      throw Error("universal perturbation: its pattern is " + std::to_string(size) + " px, the images " +
                  std::to_string(x.size(3)) + "x" + std::to_string(x.size(2)));
    return torch::tanh(pattern_).expand({x.size(0), -1, -1, -1});
  }

 private:
  torch::Tensor pattern_;
};

}  // namespace

const char* const kUniversalArch = "universal";

const std::vector<std::string>& translator_architectures() {
  static const std::vector<std::string> names{"unet64", "unet128",  "unet256",       "res6",
                                              "res9",   "cnet",     "unet5-bn",      "resnet_6blocks",
                                              "resnet_9blocks"};
  return names;
}

Translator make_translator(const TranslatorConfig& config) {
  if (config.arch == kUniversalArch) {
    detail::check_positive("universal perturbation size", config.image_size);
    detail::check_positive("universal perturbation channels", config.out_channels);
    return std::make_shared<UniversalPattern>(config);
  }
  const int blocks = detail::resnet_blocks(config.arch);
  const int downs = detail::unet_downs(config.arch);
  const auto& known = translator_architectures();
  if (std::find(known.begin(), known.end(), config.arch) == known.end()) {
    std::string expected;
    for (const auto& n : known) expected += (expected.empty() ? "" : ", ") + n;
    throw UsageError("unknown translator architecture '" + config.arch + "' (expected one of: " + expected + ")");
  }
  detail::check_positive(config.arch + " translator width", config.width);
  detail::check_positive(config.arch + " translator input channels", config.in_channels);
  detail::check_positive(config.arch + " translator output channels", config.out_channels);
  if (config.arch == "unet5-bn") {
    detail::check_image_size(config.arch, config.image_size, 1 << (PoolUNetTranslator::kLevels - 1));
    return std::make_shared<PoolUNetTranslator>(config);
  }
  const int p2p_blocks = detail::pix2pix_resnet_blocks(config.arch);
  if (blocks >= 0 || p2p_blocks >= 0) {
    detail::check_image_size(config.arch, config.image_size, detail::ResNetBody::kSizeMultiple);
    if (p2p_blocks >= 0) {
      auto t = std::make_shared<ResNetTranslator>(config, p2p_blocks, detail::ResNetStyle::Pix2Pix);
      detail::init_pix2pix(*t);
      return t;
    }
    return std::make_shared<ResNetTranslator>(config, blocks, detail::ResNetStyle::StarGan);
  }
  detail::check_image_size(config.arch, config.image_size, 1 << downs);
  return std::make_shared<UNetTranslator>(config, downs);
}

}  // namespace idef::nets
