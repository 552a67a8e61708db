#include "model/translator_model.h"

#include <algorithm>

#include "core/error.h"

namespace idef {

void describe_translator(ModelFile& file, const nets::TranslatorConfig& config) {
  file.meta.set("network.arch", config.arch);
  file.meta.set("network.width", std::int64_t{config.width});
  file.meta.set("network.image_size", std::int64_t{config.image_size});
}

nets::TranslatorConfig translator_config_of(const ModelFile& file) {
  nets::TranslatorConfig config;
  try {
    config.arch = file.meta.get_string("network.arch");
    const auto& known = nets::translator_architectures();
    if (std::find(known.begin(), known.end(), config.arch) == known.end() && config.arch != nets::kUniversalArch)
      throw Error("network.arch '" + config.arch + "' is not an architecture this version knows");
    const std::int64_t width = file.meta.get_int("network.width");
    const std::int64_t size = file.meta.get_int("network.image_size");
    if (width < 1 || width > 4096) throw Error("network.width " + std::to_string(width) + " is out of range");
    if (size < 1 || size > 8192) throw Error("network.image_size " + std::to_string(size) + " is out of range");
    config.width = static_cast<int>(width);
    config.image_size = static_cast<int>(size);
  } catch (const InputError&) {
    throw;
  } catch (const Error& e) {
    throw InputError(file.source(), e.what());
  }
  return config;
}

void save_reenactor_model(const std::string& path, const nets::Translator& generator, const Metadata& extra) {
  ModelFile file;
  for (const auto& [key, value] : extra.values()) file.meta.set(key, value);
  file.meta.set("task", std::string("reenactor"));
  describe_translator(file, generator->config());
  file.set_module("weights", *generator);
  file.save(path);
}

nets::Translator load_reenactor_model(const std::string& path, const torch::Device& device) {
  ModelFile file = ModelFile::load(path);
  file.require("task", "reenactor");
  nets::Translator g;
  try {
    const nets::TranslatorConfig config = translator_config_of(file);
    if (config.arch == nets::kUniversalArch) throw Error("network.arch 'universal' is a perturbation, not a reenactment model");
    g = nets::make_translator(config);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path, e.what());
  }
  file.load_module(file.has_section("weights") ? "weights" : "G", *g);
  g->to(device);
  g->eval();
  return g;
}

}  // namespace idef
