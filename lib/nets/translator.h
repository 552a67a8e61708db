// Image-to-image generators: the pix2pix reenactment generator z → x (docs/method.md) and the
// perturbation generator PG x → δ (docs/method.md).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace idef::nets {

struct TranslatorConfig {
  std::string arch = "unet128";  // one of translator_architectures()
  int in_channels = 3;
  int out_channels = 3;
  int width = 64;  // ngf (unet*) or conv_dim (res*, cnet)
  int image_size = 128;
};

// x: [N, in_channels, H, W] → [N, out_channels, H, W] in [-1, 1] (tanh). H and W must be
// multiples of 2^downs (unet*), 4 (res*, cnet) or 16 (unet5-bn), otherwise forward throws
// idef::Error. InstanceNorm without running statistics, no dropout: train() and eval()
// agree, except in unet5-bn, whose BatchNorm uses running statistics in eval().
class TranslatorImpl : public torch::nn::Module {
 public:
  explicit TranslatorImpl(TranslatorConfig config) : config_(std::move(config)) {}
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  const TranslatorConfig& config() const { return config_; }

 private:
  TranslatorConfig config_;
};
using Translator = std::shared_ptr<TranslatorImpl>;

// Architectures: unet64/unet128/unet256 (pix2pix U-Net, pix2pix init), res6/res9 (StarGAN
// generator without labels), cnet (its residual-free variant), unet5-bn (the defence
// authors' released perturbation generator: average pooling, bilinear upsampling,
// BatchNorm) and resnet_6blocks/resnet_9blocks (pix2pix's ResnetGenerator, pix2pix init). Throws idef::UsageError naming the architecture or the size when unsupported.
Translator make_translator(const TranslatorConfig& config);

// {"unet64", "unet128", "unet256", "res6", "res9", "cnet", "unet5-bn", "resnet_6blocks", "resnet_9blocks"}
const std::vector<std::string>& translator_architectures();

// A perturbation generator only, not an image-to-image network: one learned pattern of the
// crop's size, the same δ for every input (tanh of its parameter, which starts as smooth
// random noise of the seed). A forger's reenactment model learns what its training frames
// have in common and averages out what changes from frame to frame, so a pattern fixed to
// the aligned face is what can carry over into it (docs/reenactment.md#universal). make_translator
// builds it; translator_architectures() leaves it out.
extern const char* const kUniversalArch;  // "universal"

}  // namespace idef::nets
