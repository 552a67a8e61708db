#include "defence/perturbation_model.h"

#include "core/error.h"
#include "model/translator_model.h"

namespace idef {

void describe_perturbation(ModelFile& file, const PerturbationModel& model) {
  const auto& c = model.generator->config();
  file.meta.set("task", model.task);
  file.meta.set("kind", std::string("perturbation-generator"));
  describe_translator(file, c);
  file.meta.set("defence.epsilon", model.epsilon);
  file.meta.set("defence.tau", model.tau);
  file.meta.set("surrogates", static_cast<std::int64_t>(model.surrogates.size()));
}

static std::string surrogate_prefix(std::size_t i) { return "surrogate." + std::to_string(i) + "."; }

void save_perturbation_model(const std::string& path, const PerturbationModel& model, const Metadata& extra) {
  ModelFile file;
  for (const auto& [key, value] : extra.values()) file.meta.set(key, value);
  describe_perturbation(file, model);
  file.set_module("weights", *model.generator);
  for (std::size_t i = 0; i < model.surrogates.size(); ++i) embed_editor(file, surrogate_prefix(i), model.surrogates[i]);
  file.save(path);
}

PerturbationModel load_perturbation_model(const std::string& path, const torch::Device& device) {
  ModelFile file = ModelFile::load(path);
  file.require("kind", "perturbation-generator");
  PerturbationModel model;
  const nets::TranslatorConfig config = translator_config_of(file);
  try {
    model.task = file.meta.get_string("task");
    if (model.task != "attr" && model.task != "reenact")
      throw Error("unknown defence task '" + model.task + "'");
    model.epsilon = file.meta.get_double("defence.epsilon");
    model.tau = file.meta.get_double("defence.tau");
    // An edited or damaged value must not protect at a strength nobody chose (NaN blacks out faces).
    if (!(model.epsilon > 0 && model.epsilon <= 1))
      throw Error("defence.epsilon is " + std::to_string(model.epsilon) + ", not in (0, 1]");
    if (!(model.tau > 0 && model.tau <= 1)) throw Error("defence.tau is " + std::to_string(model.tau) + ", not in (0, 1]");
    model.generator = nets::make_translator(config);
  } catch (const std::exception& e) {
    throw InputError(path, e.what());
  }
  file.load_module("weights", *model.generator);
  const std::int64_t surrogates = file.meta.has("surrogates") ? file.meta.get_int("surrogates") : 0;
  if (surrogates < 0 || surrogates > 64) throw InputError(path, "surrogates " + std::to_string(surrogates) + " is out of range");
  for (std::int64_t i = 0; i < surrogates; ++i)
    model.surrogates.push_back(embedded_editor(file, surrogate_prefix(static_cast<std::size_t>(i)), device));
  model.generator->to(device);
  model.generator->eval();
  return model;
}

torch::Tensor apply_perturbation(const PerturbationModel& model, const torch::Tensor& x, double epsilon,
                                 double tau) {
  torch::Tensor delta = (epsilon * model.generator->forward(x)).clamp(-tau, tau);
  return (x + delta).clamp(-1.0, 1.0);
}

}  // namespace idef
