// Attribute-editor model files (the forger's trained StarGAN-like models): the network's
// weights plus what is needed to rebuild it and to know its domains.
#pragma once
#include <string>
#include <vector>

#include "model/model_file.h"
#include "nets/editor.h"

namespace idef {

struct EditorModel {
  nets::Editor editor;
  std::vector<std::string> attributes;  // the domain labels, in order (c_dim of them)
};

// Metadata that rebuilds the editor: task = "editor", network.*, domains.
void describe_editor(ModelFile& file, const nets::EditorConfig& config, const std::vector<std::string>& attributes);
nets::EditorConfig editor_config_of(const ModelFile& file);

// An editor carried inside another model file (a perturbation generator carries the
// surrogates it was trained against): metadata under `prefix` (PREFIXnetwork.*, PREFIXdomains)
// and the weights in section PREFIXweights.
void embed_editor(ModelFile& file, const std::string& prefix, const EditorModel& model);
EditorModel embedded_editor(const ModelFile& file, const std::string& prefix, const torch::Device& device);

// The domain label for a photo whose own labels are unknown: attribute j on, all others
// off, as a [1, c_dim] tensor.
torch::Tensor single_attribute_domain(int c_dim, int j);
// One such domain per attribute, in order: the edits tried on a face of unknown labels.
std::vector<torch::Tensor> one_attribute_domains(int c_dim);

void save_editor_model(const std::string& path, const EditorModel& model, const Metadata& extra = {});
// Refuses files of another task; the network comes back in eval mode on `device`. An
// id-forge training checkpoint loads too (its generator), to score training in progress.
EditorModel load_editor_model(const std::string& path, const torch::Device& device = torch::kCPU);

}  // namespace idef
