// Domain-conditioned attribute editors: the forger's model M and the defender's surrogate
// SM of the attribute-editing defence (docs/method.md). y = M(x, c).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace idef::nets {

struct EditorConfig {
  std::string arch = "res6";  // one of editor_architectures()
  int c_dim = 5;              // number of domain labels
  int width = 64;             // conv_dim (res*, cnet) or ngf (unet*)
  int image_size = 128;       // the size the network is built for
};

// x: [N, 3, H, W] in [-1, 1]; c: [N, c_dim], 0/1 labels (any floating type; converted to
// x's). The labels are tiled over the image and concatenated as extra input channels
// (StarGAN). Returns [N, 3, H, W] in [-1, 1] (tanh).
//
// H and W need not equal config().image_size, but must be multiples of what the
// architecture divides by (4 for res*/cnet, 2^downs for unet*); otherwise forward throws
// idef::Error. All norms are InstanceNorm without running statistics and there is no
// dropout: train() and eval() compute the same thing, per image.
class EditorImpl : public torch::nn::Module {
 public:
  explicit EditorImpl(EditorConfig config) : config_(std::move(config)) {}
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& c) = 0;
  const EditorConfig& config() const { return config_; }

 protected:
  // Checks x and c and returns [x, tiled c] as one [N, 3 + c_dim, H, W] tensor.
  torch::Tensor with_labels(const torch::Tensor& x, const torch::Tensor& c, int64_t size_multiple) const;

 private:
  EditorConfig config_;
};
using Editor = std::shared_ptr<EditorImpl>;

// Builds an editor with fresh weights (StarGAN's default init for res*/cnet, pix2pix's
// N(0, 0.02) for unet*). Throws idef::UsageError naming the architecture or the size when
// the configuration is unsupported, e.g. "unet128 needs an image size that is a multiple
// of 128 (got 100)".
Editor make_editor(const EditorConfig& config);

// {"res6", "res9", "cnet", "unet64", "unet128", "unet256"}
const std::vector<std::string>& editor_architectures();

}  // namespace idef::nets
