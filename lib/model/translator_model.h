// Image-to-image networks in model files: the metadata that rebuilds a translator
// (network.*), shared by the perturbation generator and the forger's reenactment models
// (task = "reenactor": a pix2pix-style translator from landmark sketches to frames).
#pragma once
#include <string>

#include <torch/torch.h>

#include "model/model_file.h"
#include "nets/translator.h"

namespace idef {

// network.arch, network.width, network.image_size (3 channels in and out).
void describe_translator(ModelFile& file, const nets::TranslatorConfig& config);
// The same back, checked: an unknown architecture or an out-of-range width or size throws
// InputError naming the file and the field.
nets::TranslatorConfig translator_config_of(const ModelFile& file);

// The forger's reenactment model: task = "reenactor", weights in section "weights".
void save_reenactor_model(const std::string& path, const nets::Translator& generator, const Metadata& extra = {});
// Refuses files of another task; eval mode on `device`. A training checkpoint loads too (its
// generator "G"), to look at training in progress.
nets::Translator load_reenactor_model(const std::string& path, const torch::Device& device = torch::kCPU);

}  // namespace idef
