#include "nets/editor.h"

#include "core/error.h"
#include "nets/layers.h"

namespace idef::nets {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// StarGAN generator (res6, res9) and its residual-free variant (cnet).
class ResNetEditor final : public EditorImpl {
 public:
  ResNetEditor(const EditorConfig& config, int n_residual)
      : EditorImpl(config), body_(*this, 3 + config.c_dim, 3, config.width, n_residual) {}
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& c) override {
    return body_.forward(with_labels(x, c, detail::ResNetBody::kSizeMultiple));
  }

 private:
  detail::ResNetBody body_;
};

// pix2pix U-Net with the labels as extra input channels.
class UNetEditor final : public EditorImpl {
 public:
  UNetEditor(const EditorConfig& config, int downs)
      : EditorImpl(config), downs_(downs), body_(*this, 3 + config.c_dim, 3, config.width, downs) {
    detail::init_pix2pix(*this);
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& c) override {
    return body_.forward(with_labels(x, c, int64_t{1} << downs_));
  }

 private:
  int downs_;
  detail::UNetBody body_;
};

}  // namespace

torch::Tensor EditorImpl::with_labels(const torch::Tensor& x, const torch::Tensor& c, int64_t size_multiple) const {
  const std::string who = config_.arch + " editor";
  detail::check_input(who, x, 3, size_multiple);
  if (!c.defined() || c.dim() != 2 || c.size(0) != x.size(0) || c.size(1) != config_.c_dim)
    throw Error(who + ": expected labels [" + std::to_string(x.size(0)) + ", " + std::to_string(config_.c_dim) +
                "], got " + detail::shape_string(c));
  const torch::Tensor tiled =
      c.to(x.options()).view({c.size(0), c.size(1), 1, 1}).expand({-1, -1, x.size(2), x.size(3)});
  return torch::cat({x, tiled}, 1);
}

const std::vector<std::string>& editor_architectures() {
  static const std::vector<std::string> names{"res6", "res9", "cnet", "unet64", "unet128", "unet256"};
  return names;
}

Editor make_editor(const EditorConfig& config) {
  const int blocks = detail::resnet_blocks(config.arch);
  const int downs = detail::unet_downs(config.arch);
  if (blocks < 0 && downs == 0)
    throw UsageError("unknown editor architecture '" + config.arch + "' (expected one of: " +
                     joined(editor_architectures()) + ")");
  detail::check_positive(config.arch + " editor width", config.width);
  detail::check_positive(config.arch + " editor label count (c_dim)", config.c_dim);
  if (blocks >= 0) {
    detail::check_image_size(config.arch, config.image_size, detail::ResNetBody::kSizeMultiple);
    return std::make_shared<ResNetEditor>(config, blocks);
  }
  detail::check_image_size(config.arch, config.image_size, 1 << downs);
  return std::make_shared<UNetEditor>(config, downs);
}

}  // namespace idef::nets
