// Importing published PyTorch models (docs/import.md): StarGAN's generator and discriminator
// and pix2pix's U-Net / ResNet generators and PatchGAN, from their state dicts onto the
// toolkit's own networks, whose layouts are the same layer for layer.
//
// The structure (widths, depths, label count, norm kind) is read off the tensor names and
// shapes. Every tensor of the toolkit's network must come from the file with the shape that
// structure implies, and every tensor of the file must be used, except what the toolkit's
// layers do not need: norms' running statistics (the published test scripts leave the
// networks in training mode, so every norm normalises with each image's own statistics, as
// the toolkit's instance norms do; a BatchNorm is thus taken as pix2pix's test.py runs it, one
// image per batch) and conv biases right before a norm (the norm removes a per-channel
// constant). Dropout has no weights and is left out (deterministic outputs).
#pragma once
#include <string>
#include <vector>

#include "model/model_file.h"
#include "nets/discriminators.h"
#include "nets/editor.h"
#include "nets/translator.h"

namespace idef {

// StarGAN's CelebA domains, in its --selected_attrs order.
const std::vector<std::string>& stargan_celeba_domains();

// Each importer throws InputError naming `source` and the first tensor that does not fit
// (a missing key, an unexpected key, a shape, a non-finite value), or the structure it
// cannot build (e.g. a residual-block count other than 0, 6 or 9).
//
// StarGAN Generator (main.N..., residual blocks main.N.main.M...) → editor res6/res9/cnet of
// conv_dim width for 3 + c_dim input channels; image_size is recorded, not checked (the
// network is fully convolutional).
nets::Editor import_stargan_generator(const NamedTensors& state, const std::string& source, int image_size);
// StarGAN Discriminator (main.N, conv1, conv2): its image size is conv2's kernel · 2^repeat_num.
nets::StarGanDiscriminator import_stargan_discriminator(const NamedTensors& state, const std::string& source);
// pix2pix UnetGenerator (model.model.…, 6/7/8 levels → unet64/unet128/unet256) or
// ResnetGenerator (model.N…, 6 or 9 blocks → resnet_6blocks/resnet_9blocks), BatchNorm or
// InstanceNorm, with or without dropout; 3 channels in and out.
nets::Translator import_pix2pix_generator(const NamedTensors& state, const std::string& source, int image_size);
// pix2pix NLayerDiscriminator (model.N): ndf, n_layers and input channels from the shapes.
nets::PatchDiscriminator import_patch_discriminator(const NamedTensors& state, const std::string& source);

// Which published layout a state dict is: "stargan-generator", "stargan-discriminator",
// "pix2pix-unet", "pix2pix-resnet", "pix2pix-patch", or "" when none.
std::string pytorch_layout(const NamedTensors& state);

struct ImportOptions {
  std::string generator;          // the generator's checkpoint
  std::string generator_key;      // its entry in a dict of several state dicts ("": the only one)
  std::string discriminator;      // optional: the discriminator's checkpoint (may be the generator's file)
  std::string discriminator_key;
  std::vector<std::string> attributes;  // StarGAN's domains in label order (empty: stargan_celeba_domains)
  int image_size = 0;             // 0: the discriminator's, else the published one (StarGAN 128, pix2pix 256)
};

// Reads the checkpoints and writes a model file at `output` (atomically): task "editor" for a
// StarGAN generator (id-forge edit, id-score attr, id-poison --target, id-train-attr
// --surrogate-init), task "reenactor" for a pix2pix generator (id-forge reenact, id-score
// reenact); the discriminator, when given, goes in section "D" with its structure under
// discriminator.*, and the sources' names and SHA-256 under imported.*. Returns one line saying
// what was imported.
std::string import_pytorch_model(const ImportOptions& options, const std::string& output);

}  // namespace idef
