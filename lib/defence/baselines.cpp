#include "defence/baselines.h"

#include "core/error.h"
#include "core/sha256.h"
#include "io/tensor_image.h"

namespace idef {

PgdOptions pgd_options(const std::string& method, double epsilon) {
  PgdOptions o;
  o.epsilon = epsilon;
  if (method == "pgd") return o;
  if (method == "ifgsm") {
    o.random_start = false;
    return o;
  }
  if (method == "fgsm") {
    o.random_start = false;
    o.iterations = 1;
    o.step = epsilon;
    return o;
  }
  throw UsageError("unknown attack '" + method + "' (pgd, ifgsm, fgsm)");
}

static torch::Tensor seeded_uniform(const torch::Tensor& like, double epsilon, std::uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::rand(like.sizes(), gen, torch::TensorOptions().dtype(like.dtype())).to(like.device()).mul(2 * epsilon).sub(epsilon);
}

torch::Tensor pgd_attack(const nets::Editor& editor, const torch::Tensor& x, const std::vector<torch::Tensor>& domains,
                         const PgdOptions& o) {
  return pgd_attack(std::vector<AttackedEditor>{{editor, domains}}, x, o);
}

torch::Tensor pgd_attack(const std::vector<AttackedEditor>& editors, const torch::Tensor& x, const PgdOptions& o) {
  std::vector<std::vector<torch::Tensor>> clean;
  {
    torch::NoGradGuard no_grad;
    for (const auto& e : editors) {
      e.editor->eval();
      clean.emplace_back();
      for (const auto& c : e.domains) clean.back().push_back(e.editor->forward(x, c));
    }
  }
  // Onto the ε ball around x and the valid range.
  auto project = [&](const torch::Tensor& t) { return torch::min(torch::max(t, x - o.epsilon), x + o.epsilon).clamp(-1, 1); };
  torch::Tensor adv;
  if (o.start.defined()) {
    adv = project(o.start.detach());
  } else {
    // The distortion's gradient is exactly zero at x' = x (an MSE at its minimum), so the
    // variants without a random start (I-FGSM, FGSM) start a hundredth of ε away from x.
    adv = (x + seeded_uniform(x, o.random_start ? o.epsilon : o.epsilon / 100, o.seed)).clamp(-1, 1);
  }
  for (int i = 0; i < o.iterations; ++i) {
    adv.requires_grad_(true);
    torch::Tensor loss = torch::zeros({}, x.options());
    for (std::size_t k = 0; k < editors.size(); ++k)
      for (std::size_t j = 0; j < editors[k].domains.size(); ++j)
        loss = loss + torch::mse_loss(editors[k].editor->forward(adv, editors[k].domains[j]), clean[k][j]);
    torch::Tensor grad = torch::autograd::grad({loss}, {adv})[0];
    torch::NoGradGuard no_grad;
    adv = adv.detach() + o.step * grad.sign();
    adv = project(adv);
  }
  return adv.detach();
}

torch::Tensor uniform_noise(const torch::Tensor& x, double epsilon, std::uint64_t seed) {
  return (x + seeded_uniform(x, epsilon, seed)).clamp(-1, 1);
}

static std::vector<float> delta_hwc(const torch::Tensor& adv, const torch::Tensor& x) {
  torch::Tensor hwc = ((adv - x) * 127.5)[0].permute({1, 2, 0}).contiguous();
  return std::vector<float>(hwc.data_ptr<float>(), hwc.data_ptr<float>() + hwc.numel());
}

// A face's own random draw: the seed and the crop's pixels, so that faces differ, a rerun
// repeats itself, and every tool that protects a crop with one seed draws the same.
static std::uint64_t face_seed(std::uint64_t seed, const Rgb8& crop) {
  Sha256 hash;
  hash.update(crop.pixels.data(), crop.pixels.size());
  return seed ^ std::stoull(hash.hex_digest().substr(0, 16), nullptr, 16);
}

CropPerturber attack_perturber(const EditorModel& target, const std::string& method, double epsilon,
                               std::uint64_t seed) {
  return attack_perturber(target, method, epsilon, seed,
                          one_attribute_domains(static_cast<int>(target.attributes.size())));
}

CropPerturber attack_perturber(const EditorModel& target, const std::string& method, double epsilon,
                               std::uint64_t seed, std::vector<torch::Tensor> domains) {
  PgdOptions options = pgd_options(method, epsilon);
  options.seed = seed;
  nets::Editor editor = target.editor;
  return {editor->config().image_size, [editor, domains, options](const Rgb8& crop) {
            torch::Tensor x = rgb8_to_tensor(crop);
            PgdOptions own = options;
            own.seed = face_seed(options.seed, crop);
            return delta_hwc(pgd_attack(editor, x, domains, own), x);
          }};
}

CropPerturber noise_perturber(int crop_size, double epsilon, std::uint64_t seed) {
  return {crop_size, [epsilon, seed](const Rgb8& crop) {
            torch::Tensor x = rgb8_to_tensor(crop);
            return delta_hwc(uniform_noise(x, epsilon, face_seed(seed, crop)), x);
          }};
}

CropPerturber refine_perturber(const PerturbationModel& model, const ProtectOptions& options, int steps,
                               double step) {
  if (steps == 0) return generator_perturber(model, options);
  if (model.surrogates.empty())
    throw Error("the perturbation model carries no surrogate to refine against (models trained by this version's "
                "id-train-attr do)");
  std::vector<AttackedEditor> editors;
  for (const auto& sm : model.surrogates) {
    if (sm.editor->config().image_size != model.image_size())
      throw Error("a surrogate of the perturbation model works at " + std::to_string(sm.editor->config().image_size) +
                  " px, the generator at " + std::to_string(model.image_size()));
    editors.push_back({sm.editor, one_attribute_domains(static_cast<int>(sm.attributes.size()))});
  }
  PgdOptions pgd;
  pgd.epsilon = options.tau;  // the cap is the ball the refinement stays in
  pgd.step = step;
  pgd.iterations = steps;
  return {model.image_size(), [model, options, editors, pgd](const Rgb8& crop) {
            torch::Tensor x = rgb8_to_tensor(crop);
            PgdOptions from_pg = pgd;
            {
              torch::NoGradGuard no_grad;
              from_pg.start = apply_perturbation(model, x, options.epsilon, options.tau);
            }
            return delta_hwc(pgd_attack(editors, x, from_pg), x);
          }};
}

}  // namespace idef
