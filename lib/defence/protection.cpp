#include "defence/protection.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "defence/baselines.h"

namespace idef {

const std::vector<std::string>& protection_methods() {
  static const std::vector<std::string> methods{"pg", "pgd", "ifgsm", "fgsm", "noise"};
  return methods;
}

bool is_attack_method(const std::string& method) {
  return method == "pgd" || method == "ifgsm" || method == "fgsm";
}

void check_protection_settings(const ProtectionSettings& s, bool has_generator, bool has_target) {
  const auto& all = protection_methods();
  if (std::find(all.begin(), all.end(), s.method) == all.end())
    throw UsageError("unknown method '" + s.method + "' (pg, pgd, ifgsm, fgsm, noise)");
  if (s.method == "pg" && !has_generator) throw UsageError("--method pg needs --model PG");
  if (s.method != "pg" && has_generator) throw UsageError("--model is for --method pg");
  if (is_attack_method(s.method) && !has_target) throw UsageError("--method " + s.method + " needs --target EDITOR");
  if (!is_attack_method(s.method) && has_target) throw UsageError("--target is for --method pgd, ifgsm or fgsm");
  if (s.method != "pg" && s.refine != 0) throw UsageError("--refine and --refine-step are for --method pg");
  if (!s.refine_against.empty() && s.refine == 0) throw UsageError("--refine-against needs --refine K (K > 0)");
  if (s.epsilon && !(*s.epsilon > 0 && *s.epsilon <= 1))
    throw UsageError("--epsilon must be in (0, 1], not " + std::to_string(*s.epsilon));
  if (s.tau && !(*s.tau > 0 && *s.tau <= 1)) throw UsageError("--tau must be in (0, 1], not " + std::to_string(*s.tau));
}

PerturbationModel load_protection_generator(const ProtectionSettings& s, const std::string& model,
                                            const torch::Device& device) {
  PerturbationModel generator = load_perturbation_model(model, device);
  if (!s.refine_against.empty()) {
    generator.surrogates.clear();
    for (const auto& editor : s.refine_against) generator.surrogates.push_back(load_editor_model(editor, device));
  }
  return generator;
}

Protection make_protection(const ProtectionSettings& s, const PerturbationModel* generator, const EditorModel* target,
                           std::vector<torch::Tensor> domains) {
  check_protection_settings(s, generator != nullptr, target != nullptr);
  Protection p;
  if (s.method == "pg") {
    p.options.epsilon = s.epsilon.value_or(generator->epsilon);
    p.options.tau = s.tau ? *s.tau : s.epsilon ? *s.epsilon : generator->tau;
    p.perturber = refine_perturber(*generator, p.options, s.refine, s.refine_step);
    return p;
  }
  p.options.epsilon = s.epsilon.value_or(0.05);
  p.options.tau = s.tau.value_or(p.options.epsilon);
  if (s.method == "noise") {
    p.perturber = noise_perturber(0, p.options.epsilon, s.seed);
  } else {
    if (domains.empty()) domains = one_attribute_domains(static_cast<int>(target->attributes.size()));
    p.perturber = attack_perturber(*target, s.method, p.options.epsilon, s.seed, std::move(domains));
  }
  return p;
}

}  // namespace idef
