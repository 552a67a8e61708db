// The per-image baselines every table compares against (docs/method.md#baselines): the L∞ PGD of Ruiz et
// al. ("Disrupting Deepfakes") against an editor the defender can use — the surrogate SM
// (gray/black-box) or the target itself (white-box bound) — its I-FGSM and FGSM variants,
// and uniform noise, the control.
#pragma once
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "defence/protect_photo.h"
#include "model/editor_model.h"
#include "nets/editor.h"

namespace idef {

struct PgdOptions {
  double epsilon = 0.05;  // L∞ radius on the [-1,1] scale
  double step = 0.01;
  int iterations = 10;
  bool random_start = true;
  std::uint64_t seed = 0;  // random start
  torch::Tensor start;     // when defined, the first x' (e.g. a generator's output) instead of a random start
};

// Ruiz et al.'s defaults, and their variants: I-FGSM (no random start: it starts ε/100 from
// x, where the gradient is not zero), FGSM (one such step of ε).
PgdOptions pgd_options(const std::string& method, double epsilon);

// Maximises Σ_j MSE(M(x', c_j), M(x, c_j)) over the given domain labels (each [N, c_dim])
// with signed-gradient steps, projecting onto ‖x' − x‖∞ ≤ ε and [-1, 1].
torch::Tensor pgd_attack(const nets::Editor& editor, const torch::Tensor& x, const std::vector<torch::Tensor>& domains,
                         const PgdOptions& options);
// The same against several editors at once (an ensemble): the sum of every editor's term.
struct AttackedEditor {
  nets::Editor editor;
  std::vector<torch::Tensor> domains;
};
torch::Tensor pgd_attack(const std::vector<AttackedEditor>& editors, const torch::Tensor& x, const PgdOptions& options);

// x' = clamp(x + U(−ε, ε)) with a seeded generator.
torch::Tensor uniform_noise(const torch::Tensor& x, double epsilon, std::uint64_t seed);

// Perturbers for photos: the attack `method` (pgd, ifgsm, fgsm) against `target` on its own
// crop size, over one domain per attribute (that attribute on, the rest off: the labels of
// an arbitrary photo are unknown); and uniform noise on crops of `crop_size` (0: any size).
// Each crop's random draw (noise, PGD's random start) comes from `seed` and its pixels.
CropPerturber attack_perturber(const EditorModel& target, const std::string& method, double epsilon,
                               std::uint64_t seed);
// The same over given domain labels (each [1, c_dim]), e.g. the target domains of a face
// whose labels are known.
CropPerturber attack_perturber(const EditorModel& target, const std::string& method, double epsilon,
                               std::uint64_t seed, std::vector<torch::Tensor> domains);
CropPerturber noise_perturber(int crop_size, double epsilon, std::uint64_t seed);

// The generator's x' refined by `steps` PGD steps of `step` against the surrogates the model
// carries (each over its one-attribute domains), projected onto |x' − x| ≤ τ and [-1, 1].
// steps = 0 is generator_perturber itself. Error when steps > 0 and the model carries none.
CropPerturber refine_perturber(const PerturbationModel& model, const ProtectOptions& options, int steps,
                               double step);

}  // namespace idef
