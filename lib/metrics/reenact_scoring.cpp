#include "metrics/reenact_scoring.h"

#include "core/error.h"
#include "data/talking_head.h"
#include "metrics/image_metrics.h"

namespace idef {

std::vector<ReenactFrameScore> score_reenactment(nets::TranslatorImpl& clean, nets::TranslatorImpl& poisoned,
                                                 const TalkingHead& driver, double threshold,
                                                 const torch::Device& device,
                                                 const std::function<void(std::int64_t)>& progress) {
  for (const nets::TranslatorImpl* m : {&clean, &poisoned})
    if (m->config().image_size != driver.size())
      throw Error("a " + std::to_string(m->config().image_size) + " px model cannot be driven by " +
                  std::to_string(driver.size()) + " px crops");
  torch::NoGradGuard no_grad;
  clean.eval();
  poisoned.eval();
  std::vector<ReenactFrameScore> scores;
  constexpr std::int64_t kBatch = 8;
  for (std::int64_t first = 0; first < driver.count(); first += kBatch) {
    const torch::Tensor rows = TalkingHead::range(first, std::min(kBatch, driver.count() - first));
    const torch::Tensor z = driver.sketches(rows).to(device);
    const torch::Tensor truth = driver.frames(rows);
    const torch::Tensor y = clean.forward(z).to(torch::kCPU), y_poisoned = poisoned.forward(z).to(torch::kCPU);
    const auto l1s = l1_per_image(y_poisoned, y), l2s = l2_per_image(y_poisoned, y);
    const auto cl1 = l1_per_image(y, truth), cl2 = l2_per_image(y, truth);
    const auto pl1 = l1_per_image(y_poisoned, truth), pl2 = l2_per_image(y_poisoned, truth);
    for (std::size_t i = 0; i < l1s.size(); ++i) {
      ReenactFrameScore s;
      s.frame = driver.frame_numbers()[static_cast<std::size_t>(first) + i];
      s.l1 = l1s[i];
      s.l2 = l2s[i];
      s.disrupted = s.l1 > threshold;
      s.clean_l1 = cl1[i];
      s.clean_l2 = cl2[i];
      s.poisoned_l1 = pl1[i];
      s.poisoned_l2 = pl2[i];
      scores.push_back(s);
    }
    if (progress) progress(first + rows.size(0));
  }
  return scores;
}

ReenactSummary summarize(const std::vector<ReenactFrameScore>& frames) {
  ReenactSummary s;
  s.frames = static_cast<std::int64_t>(frames.size());
  if (frames.empty()) return s;
  for (const auto& f : frames) {
    s.disrupted += f.disrupted;
    s.l1 += f.l1;
    s.l2 += f.l2;
    s.clean_l1 += f.clean_l1;
    s.clean_l2 += f.clean_l2;
    s.poisoned_l1 += f.poisoned_l1;
    s.poisoned_l2 += f.poisoned_l2;
  }
  const double n = static_cast<double>(s.frames);
  s.dsr = s.disrupted / n;
  for (double* v : {&s.l1, &s.l2, &s.clean_l1, &s.clean_l2, &s.poisoned_l1, &s.poisoned_l2}) *v /= n;
  return s;
}

}  // namespace idef
