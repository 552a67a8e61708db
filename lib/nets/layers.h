// Building blocks shared by the editors, translators and discriminators (docs/method.md#networks).
// Internal to lib/nets: the public entry points are editor.h, translator.h and
// discriminators.h. The bodies register their layers directly on the owning network, so
// parameter names stay short and identical between an editor and a translator of the same
// architecture ("stem.conv.weight", "res.0.norm1.weight", "down.3.conv.weight", ...).
#pragma once
#include <string>

#include <torch/torch.h>

namespace idef::nets::detail {

// InstanceNorm with a learnt scale and shift and no running statistics (StarGAN's choice):
// training and evaluation compute the same thing and one image's result never depends on
// the other images in its batch.
torch::nn::InstanceNorm2d instance_norm(int64_t channels);

// pix2pix initialisation: conv weights N(0, 0.02), norm scales N(1, 0.02), biases 0.
void init_pix2pix(torch::nn::Module& module);

// "[2, 3, 64, 64]"
std::string shape_string(const torch::Tensor& t);

// Throws idef::UsageError "<arch> needs an image size that is a multiple of <multiple>
// (got <size>)" unless size is a positive multiple.
void check_image_size(const std::string& arch, int image_size, int multiple);

// Throws idef::UsageError "<what> must be at least 1 (got <value>)".
void check_positive(const std::string& what, int value);

// Throws idef::Error unless x is [N, channels, H, W] with H and W positive multiples of
// `multiple`; `who` names the network in the message.
void check_input(const std::string& who, const torch::Tensor& x, int64_t channels, int64_t multiple);

// The two generators that share ResNetBody's shape. StarGAN: zero padding, 4×4 stride-2
// convs down and transposed 4×4 up, a bias-free 7×7 head. pix2pix's ResnetGenerator:
// reflection padding of the 7×7 convs and inside the residual blocks, 3×3 stride-2 convs down
// and transposed 3×3 (output padding 1) up, a 7×7 head with bias.
enum class ResNetStyle { StarGan, Pix2Pix };

// conv (k×k, or a transposed one) → InstanceNorm → ReLU, without conv bias (the norm's shift
// replaces it). StarGAN's generator is made of these; `reflect` pads by reflection (pix2pix),
// `output_padding` applies to the transposed conv.
struct ConvNormReluImpl : torch::nn::Module {
  ConvNormReluImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool transposed,
                   bool reflect = false, int64_t output_padding = 0);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::ConvTranspose2d deconv{nullptr};  // registered as "conv" too when transposed
  torch::nn::InstanceNorm2d norm{nullptr};
};
TORCH_MODULE(ConvNormRelu);

// StarGAN's residual block: x + IN(conv3(ReLU(IN(conv3(x))))); pix2pix's pads by reflection.
struct ResidualBlockImpl : torch::nn::Module {
  explicit ResidualBlockImpl(int64_t channels, bool reflect = false);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::InstanceNorm2d norm1{nullptr}, norm2{nullptr};
};
TORCH_MODULE(ResidualBlock);

// StarGAN generator body: 7×7 conv → two stride-2 4×4 downs → n_residual blocks → two
// stride-2 4×4 transposed convs → 7×7 conv → tanh. With n_residual = 0 it is `cnet`. In the
// Pix2Pix style it is pix2pix's ResnetGenerator (see ResNetStyle). Image sizes must be
// multiples of 4 so that the ups restore the input size.
class ResNetBody {
 public:
  static constexpr int kSizeMultiple = 4;
  ResNetBody() = default;
  ResNetBody(torch::nn::Module& owner, int64_t in_channels, int64_t out_channels, int64_t width, int n_residual,
             ResNetStyle style = ResNetStyle::StarGan);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  ConvNormRelu stem_{nullptr};
  torch::nn::ModuleList down_{nullptr}, res_{nullptr}, up_{nullptr};
  torch::nn::Conv2d head_{nullptr};
};

// One step down a pix2pix U-Net: [LeakyReLU 0.2] → 4×4 stride-2 conv → [InstanceNorm].
struct UNetDownImpl : torch::nn::Module {
  UNetDownImpl(int64_t in, int64_t out, bool activate_input, bool normalise);
  torch::Tensor forward(const torch::Tensor& x);
  bool activate_input;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::InstanceNorm2d norm{nullptr};
};
TORCH_MODULE(UNetDown);

// One step up: ReLU → 4×4 stride-2 transposed conv → [InstanceNorm].
struct UNetUpImpl : torch::nn::Module {
  UNetUpImpl(int64_t in, int64_t out, bool normalise);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::ConvTranspose2d conv{nullptr};
  torch::nn::InstanceNorm2d norm{nullptr};
};
TORCH_MODULE(UNetUp);

// pix2pix U-Net (UnetGenerator, unrolled instead of nested): `downs` stride-2 levels with
// ngf·{1,2,4,8,8,…} channels, skip concatenation at every level but the innermost, tanh
// output. As in pix2pix, the outermost down and the innermost down have no norm (the
// innermost map is 1×1 at the design size, where a norm would erase it), the outermost up
// has a bias and no norm. Dropout is not used (pix2pix's default).
class UNetBody {
 public:
  UNetBody() = default;
  UNetBody(torch::nn::Module& owner, int64_t in_channels, int64_t out_channels, int64_t ngf, int downs);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::ModuleList down_{nullptr}, up_{nullptr};
};

// Number of stride-2 levels of "unet64" (6), "unet128" (7), "unet256" (8); 0 for other names.
int unet_downs(const std::string& arch);
// Residual blocks of "res6" (6), "res9" (9), "cnet" (0); -1 for other names.
int resnet_blocks(const std::string& arch);
// Residual blocks of pix2pix's "resnet_6blocks" (6) and "resnet_9blocks" (9); -1 for other names.
int pix2pix_resnet_blocks(const std::string& arch);

}  // namespace idef::nets::detail
