#include "model/editor_model.h"

#include "core/error.h"

namespace idef {

static void describe_editor_at(ModelFile& file, const std::string& prefix, const nets::EditorConfig& config,
                               const std::vector<std::string>& attributes) {
  file.meta.set(prefix + "network.arch", config.arch);
  file.meta.set(prefix + "network.width", std::int64_t{config.width});
  file.meta.set(prefix + "network.c_dim", std::int64_t{config.c_dim});
  file.meta.set(prefix + "network.image_size", std::int64_t{config.image_size});
  file.meta.set(prefix + "domains", attributes);
}

void describe_editor(ModelFile& file, const nets::EditorConfig& config, const std::vector<std::string>& attributes) {
  file.meta.set("task", std::string("editor"));
  describe_editor_at(file, "", config, attributes);
}

static nets::EditorConfig editor_config_at(const ModelFile& file, const std::string& prefix) {
  nets::EditorConfig config;
  try {
    config.arch = file.meta.get_string(prefix + "network.arch");
    config.width = static_cast<int>(file.meta.get_int(prefix + "network.width"));
    config.c_dim = static_cast<int>(file.meta.get_int(prefix + "network.c_dim"));
    config.image_size = static_cast<int>(file.meta.get_int(prefix + "network.image_size"));
  } catch (const Error& e) {
    throw InputError(file.source(), e.what());
  }
  return config;
}

nets::EditorConfig editor_config_of(const ModelFile& file) { return editor_config_at(file, ""); }

// The editor described under `prefix`, its weights from `section`.
static EditorModel editor_at(const ModelFile& file, const std::string& prefix, const std::string& section,
                             const torch::Device& device) {
  nets::EditorConfig config = editor_config_at(file, prefix);
  EditorModel model;
  try {
    model.editor = nets::make_editor(config);
    model.attributes = file.meta.get_strings(prefix + "domains");
  } catch (const std::exception& e) {
    throw InputError(file.source(), e.what());
  }
  if (static_cast<int>(model.attributes.size()) != config.c_dim)
    throw InputError(file.source(), "lists " + std::to_string(model.attributes.size()) + " domains for c_dim " +
                                        std::to_string(config.c_dim));
  file.load_module(section, *model.editor);
  model.editor->to(device);
  model.editor->eval();
  return model;
}

void embed_editor(ModelFile& file, const std::string& prefix, const EditorModel& model) {
  describe_editor_at(file, prefix, model.editor->config(), model.attributes);
  file.set_module(prefix + "weights", *model.editor);
}

EditorModel embedded_editor(const ModelFile& file, const std::string& prefix, const torch::Device& device) {
  return editor_at(file, prefix, prefix + "weights", device);
}

torch::Tensor single_attribute_domain(int c_dim, int j) {
  torch::Tensor c = torch::zeros({1, c_dim});
  c[0][j] = 1;
  return c;
}

std::vector<torch::Tensor> one_attribute_domains(int c_dim) {
  std::vector<torch::Tensor> domains;
  for (int j = 0; j < c_dim; ++j) domains.push_back(single_attribute_domain(c_dim, j));
  return domains;
}

void save_editor_model(const std::string& path, const EditorModel& model, const Metadata& extra) {
  ModelFile file;
  for (const auto& [key, value] : extra.values()) file.meta.set(key, value);
  describe_editor(file, model.editor->config(), model.attributes);
  file.set_module("weights", *model.editor);
  file.save(path);
}

EditorModel load_editor_model(const std::string& path, const torch::Device& device) {
  ModelFile file = ModelFile::load(path);
  file.require("task", "editor");
  // A training checkpoint holds the generator as "G": scoring one shows how far training got.
  return editor_at(file, "", file.has_section("weights") ? "weights" : "G", device);
}

}  // namespace idef
