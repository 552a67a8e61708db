#include "nets/translator.h"

#include "core/error.h"
#include "nets/layers.h"

namespace idef::nets {

namespace {

class ResNetTranslator final : public TranslatorImpl {
 public:
  ResNetTranslator(const TranslatorConfig& config, int n_residual)
      : TranslatorImpl(config),
        body_(*this, config.in_channels, config.out_channels, config.width, n_residual) {}
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

}  // namespace

const std::vector<std::string>& translator_architectures() {
  static const std::vector<std::string> names{"unet64", "unet128", "unet256", "res6", "res9", "cnet"};
  return names;
}

Translator make_translator(const TranslatorConfig& config) {
  const int blocks = detail::resnet_blocks(config.arch);
  const int downs = detail::unet_downs(config.arch);
  if (blocks < 0 && downs == 0) {
    std::string expected;
    for (const auto& n : translator_architectures()) expected += (expected.empty() ? "" : ", ") + n;
    throw UsageError("unknown translator architecture '" + config.arch + "' (expected one of: " + expected + ")");
  }
  detail::check_positive(config.arch + " translator width", config.width);
  detail::check_positive(config.arch + " translator input channels", config.in_channels);
  detail::check_positive(config.arch + " translator output channels", config.out_channels);
  if (blocks >= 0) {
    detail::check_image_size(config.arch, config.image_size, detail::ResNetBody::kSizeMultiple);
    return std::make_shared<ResNetTranslator>(config, blocks);
  }
  detail::check_image_size(config.arch, config.image_size, 1 << downs);
  return std::make_shared<UNetTranslator>(config, downs);
}

}  // namespace idef::nets
