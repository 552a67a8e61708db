// Perceptual distances of docs/scoring.md: LPIPS (Zhang et al. 2018, "alex" and "vgg") and the
// VGG16 perceptual loss. Both need ImageNet-trained weights that cannot be downloaded here:
// they come from a user-given file in the toolkit's model-file format (model/model_file.h),
// converted once from torchvision's and LPIPS's .pth files (bench/tools/
// convert_torchvision_weights.md). Without such a file a report says "n/a".
//
// The weights file:
//   metadata  task = "perceptual", network.arch = "alex" | "vgg"
//   section "weights", tensors under the names the PyTorch modules use:
//     features.N.weight, features.N.bias  torchvision's alexnet().features / vgg16().features
//                                         (alex: N = 0, 3, 6, 8, 10; vgg: N = 0, 2, 5, 7,
//                                         10, 12, 14, 17, 19, 21, 24, 26, 28)
//     linK.model.1.weight                 LPIPS's learned 1×1 weights, [1, C_K, 1, 1],
//                                         K = 0..4 (alex C = 64, 192, 384, 256, 256;
//                                         vgg C = 64, 128, 256, 512, 512); only LPIPS needs them
//   Other tensors in the section are ignored; a missing tensor or a wrong shape is an
//   InputError naming the file and the tensor.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace idef {

// LPIPS's learned per-channel weights of one layer: model = (Dropout, 1×1 conv C→1, no bias).
class LpipsLinImpl : public torch::nn::Module {
 public:
  explicit LpipsLinImpl(std::int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Sequential model;
};
TORCH_MODULE(LpipsLin);

// torchvision's AlexNet or VGG16 feature trunk (up to the fifth LPIPS tap) and LPIPS's lin
// layers, with parameter names exactly as in the PyTorch state dicts.
class PerceptualNetImpl : public torch::nn::Module {
 public:
  explicit PerceptualNetImpl(const std::string& arch);  // "alex" or "vgg"
  // Activations at the first `count` taps (alex: after relu1..relu5; vgg: after relu1_2,
  // relu2_2, relu3_3, relu4_3, relu5_3) of an input already normalised for the trunk.
  std::vector<torch::Tensor> taps(const torch::Tensor& x, int count = 5);
  const std::string& arch() const { return arch_; }
  const std::vector<std::int64_t>& channels() const { return channels_; }
  // Smallest side the trunk accepts up to the fifth tap (alex 31, vgg 16).
  int min_size() const;

  torch::nn::Sequential features;
  std::vector<LpipsLin> lin;

 private:
  std::string arch_;
  std::vector<std::int64_t> channels_;
  std::vector<std::size_t> tap_after_;  // index into features of each tap's ReLU
};
TORCH_MODULE(PerceptualNet);

std::vector<std::string> perceptual_architectures();  // {"alex", "vgg"}

// Writes `net`'s parameters as a weights file (tests, and converters written in C++).
void save_perceptual_weights(const std::string& path, PerceptualNet& net);
// Reads a weights file into a fresh network (eval mode, no gradients for its parameters).
// `need_lin`: the lin weights must be present (LPIPS); otherwise they may be missing.
PerceptualNet load_perceptual_weights(const std::string& path, bool need_lin = true,
                                      const torch::Device& device = torch::kCPU);

class Lpips {
 public:
  static Lpips load(const std::string& path, const torch::Device& device = torch::kCPU);
  explicit Lpips(PerceptualNet net) : net_(std::move(net)) {}
  // Per-image distance [N] of two [N,3,H,W] batches in [-1, 1]: LPIPS's scaling layer,
  // channel-unit-normalised activations at the five taps, squared difference, the lin
  // weights, spatial mean, summed over layers. Differentiable in the inputs. Throws
  // idef::Error for images smaller than min_size().
  torch::Tensor distance(const torch::Tensor& a, const torch::Tensor& b);
  std::vector<double> per_image(const torch::Tensor& a, const torch::Tensor& b);
  const std::string& arch() const { return net_->arch(); }
  int min_size() const { return net_->min_size(); }

 private:
  PerceptualNet net_;
};

// VGG perceptual loss: inputs in [-1, 1] taken to [0, 1] and normalised with ImageNet's
// mean and std (what torchvision's VGG16 was trained on); the mean over the first `layers`
// taps (relu1_2, relu2_2, relu3_3, relu4_3, relu5_3) of the mean L1 (or squared, L2)
// difference of the activations. A scalar, differentiable in the inputs.
class VggPerceptualLoss {
 public:
  enum class Distance { L1, L2 };
  static VggPerceptualLoss load(const std::string& path, Distance distance = Distance::L1, int layers = 4,
                                const torch::Device& device = torch::kCPU);
  VggPerceptualLoss(PerceptualNet net, Distance distance, int layers);
  torch::Tensor operator()(const torch::Tensor& a, const torch::Tensor& b);

 private:
  PerceptualNet net_;
  Distance distance_;
  int layers_;
};

}  // namespace idef
