// How a face is protected, said once for every tool: id-poison's outputs and id-score's
// on-the-fly protection come from the same settings through the same make_protection, so
// a user's verification runs the code of their protection (docs/protecting.md).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "defence/perturbation_model.h"
#include "defence/protect_photo.h"
#include "model/editor_model.h"

namespace idef {

struct ProtectionSettings {
  std::string method = "pg";      // pg, noise, pgd, ifgsm, fgsm
  std::optional<double> epsilon;  // intensity, [-1, 1] scale; unset: the generator's own (pg), else 0.05
  std::optional<double> tau;      // cap of |x' − x|; unset: the generator's own τ when ε is its own too, else ε
  std::uint64_t seed = 0;         // noise and PGD random starts (each face's draw also depends on its pixels)
  int refine = 0;                 // pg: PGD steps from the generator's output against its surrogates
  double refine_step = 0.01;
  // pg with refine > 0: editor model files to refine against instead of the surrogates the
  // generator carries (a forger of the user's choice, e.g. one from id-forge import).
  std::vector<std::string> refine_against;
};

const std::vector<std::string>& protection_methods();
bool is_attack_method(const std::string& method);  // pgd, ifgsm, fgsm

// Refuses (UsageError, in the words of the command line: --model, --target) an unknown
// method, a method without the model it needs, a model it does not use, refine options
// for a method other than pg, or --refine-against without --refine. Tools call it before
// loading anything.
void check_protection_settings(const ProtectionSettings& settings, bool has_generator, bool has_target);

// The generator a pg protection runs: the model file's, on `device`, its surrogates replaced
// by the editors of settings.refine_against when there are some.
PerturbationModel load_protection_generator(const ProtectionSettings& settings, const std::string& model,
                                            const torch::Device& device = torch::kCPU);

// `generator` for pg, `target` (the attacked editor) for pgd, ifgsm and fgsm. The attacks
// run over `domains` (each [1, c_dim]), by default one per attribute (that attribute on,
// the others off: a photo's labels are unknown). Noise works at each crop's own size.
Protection make_protection(const ProtectionSettings& settings, const PerturbationModel* generator,
                           const EditorModel* target, std::vector<torch::Tensor> domains = {});

}  // namespace idef
