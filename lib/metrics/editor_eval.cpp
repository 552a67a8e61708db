#include "metrics/editor_eval.h"

#include <filesystem>

#include "core/error.h"
#include "data/attributes.h"
#include "io/image.h"
#include "io/tensor_image.h"

namespace fs = std::filesystem;

namespace idef {

std::vector<AttributeEditScore> evaluate_editor(const EditorModel& model, const std::string& root,
                                                const DatasetOptions& options, int batch,
                                                const torch::Device& device) {
  DatasetOptions opt = options;
  opt.attributes = model.attributes;
  opt.image_size = model.editor->config().image_size;
  FaceDataset data = FaceDataset::celeba(root, opt, nullptr);
  torch::NoGradGuard no_grad;
  model.editor->eval();
  std::vector<AttributeEditScore> scores;
  for (std::size_t j = 0; j < model.attributes.size(); ++j) {
    AttributeEditScore score;
    score.attribute = model.attributes[j];
    fs::path cf_dir = fs::path(root) / "counterfactuals" / score.attribute;
    if (!fs::is_directory(cf_dir)) throw InputError(cf_dir.string(), "no counterfactuals for this attribute");
    double sum_edit = 0, sum_nothing = 0, sum_reconstruction = 0, sum_change = 0, sum_inside = 0;
    for (std::int64_t first = 0; first < data.size(); first += batch) {
      std::vector<std::int64_t> idx;
      for (std::int64_t i = first; i < std::min<std::int64_t>(data.size(), first + batch); ++i) idx.push_back(i);
      auto [x, labels] = data.batch(idx);
      torch::Tensor c = target_domain_labels(labels, model.attributes)[j];
      torch::Tensor edit = model.editor->forward(x.to(device), c.to(device)).to(torch::kCPU);
      torch::Tensor same = model.editor->forward(x.to(device), labels.to(device)).to(torch::kCPU);
      for (std::size_t i = 0; i < idx.size(); ++i) {
        const std::string& name = data.names()[static_cast<std::size_t>(idx[i])];
        const auto k = static_cast<std::int64_t>(i);
        if (torch::equal(labels[k], c[k])) continue;  // the counterfactual is the input itself
        Rgb8 cf = prepare_face(Image::load((cf_dir / name).string()).rgb(), opt.crop, opt.image_size);
        torch::Tensor target = rgb8_to_tensor(cf)[0];
        const double l1_edit = (edit[k] - target).abs().mean().item<double>();
        const double l1_nothing = (x[k] - target).abs().mean().item<double>();
        sum_edit += l1_edit;
        sum_nothing += l1_nothing;
        sum_reconstruction += (same[k] - x[k]).abs().mean().item<double>();
        torch::Tensor true_change = target - x[k];
        torch::Tensor change_error = ((edit[k] - same[k]) - true_change).abs();
        sum_change += change_error.mean().item<double>();
        torch::Tensor where = (true_change.abs().sum(0, true) > kTrueChangeThreshold).to(change_error.dtype());
        sum_inside += (change_error * where).sum().item<double>() / static_cast<double>(change_error.numel());
        DirectionScore& direction = c[k][static_cast<std::int64_t>(j)].item<float>() > 0.5f ? score.to_on : score.to_off;
        direction.l1_edit += l1_edit;
        direction.l1_nothing += l1_nothing;
        ++direction.count;
        ++score.count;
      }
    }
    if (score.count > 0) {
      score.l1_edit = sum_edit / score.count;
      score.l1_nothing = sum_nothing / score.count;
      score.l1_reconstruction = sum_reconstruction / score.count;
      score.l1_change = sum_change / score.count;
      score.l1_change_inside = sum_inside / score.count;
      score.l1_change_outside = score.l1_change - score.l1_change_inside;
    }
    for (DirectionScore* d : {&score.to_on, &score.to_off}) {
      if (d->count == 0) continue;
      d->l1_edit /= d->count;
      d->l1_nothing /= d->count;
    }
    scores.push_back(score);
  }
  return scores;
}

}  // namespace idef
