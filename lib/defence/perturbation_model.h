// The perturbation generator PG as a model file: δ = PG(x) with ‖δ‖∞ ≤ 1 (tanh), applied
// as x' = clamp(x + ε·δ) with ‖x' − x‖∞ ≤ τ (docs/method.md#terms). One format for the attribute and
// the reenactment defence ("task" says which).
#pragma once
#include <string>

#include <torch/torch.h>

#include <vector>

#include "model/editor_model.h"
#include "model/model_file.h"
#include "nets/translator.h"

namespace idef {

struct PerturbationModel {
  nets::Translator generator;
  std::string task = "attr";  // "attr" or "reenact"
  double epsilon = 0.05;      // intensity on the [-1,1] scale
  double tau = 0.05;          // cap of ‖x' − x‖∞ on the [-1,1] scale
  // The surrogate editors PG was trained against (attribute task), carried so that a
  // protection can refine PG's output against them (refine_perturber); may be empty.
  std::vector<EditorModel> surrogates;
  int image_size() const { return generator->config().image_size; }
};

// Metadata: task, network.*, defence.epsilon, defence.tau, surrogates (their count; each
// under surrogate.N.).
void describe_perturbation(ModelFile& file, const PerturbationModel& model);
void save_perturbation_model(const std::string& path, const PerturbationModel& model, const Metadata& extra = {});
// Refuses files that are not perturbation generators (an editor, a checkpoint, ...).
PerturbationModel load_perturbation_model(const std::string& path, const torch::Device& device = torch::kCPU);

// x' = clamp(x + ε·PG(x), [x − τ, x + τ] ∩ [−1, 1]) for a batch [N,3,S,S] in [-1,1], S the
// model's size. Gradients flow to PG when enabled (training).
torch::Tensor apply_perturbation(const PerturbationModel& model, const torch::Tensor& x, double epsilon,
                                 double tau);

}  // namespace idef
