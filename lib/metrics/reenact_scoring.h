// The reenactment defence measured as the paper's Table 2 does (docs/scoring.md#reenactment):
// the forger's model trained on the clean video (M) and the one trained on the protected video
// (M') are driven by the same held-out landmark sketches; a frame is disrupted when
// L1(M'(z), M(z)) exceeds the threshold (0.05 on the [-1, 1] scale). Each model's distance to
// the true frame is reported too: a disruption should be M' straying from the face, not M.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "nets/translator.h"

namespace idef {

class TalkingHead;

struct ReenactFrameScore {
  std::int64_t frame = 0;          // the driving video's frame number
  double l1 = 0, l2 = 0;           // M'(z) against M(z)
  bool disrupted = false;          // l1 > threshold
  double clean_l1 = 0, clean_l2 = 0;        // M(z) against the true frame
  double poisoned_l1 = 0, poisoned_l2 = 0;  // M'(z) against the true frame
};

struct ReenactSummary {
  std::int64_t frames = 0, disrupted = 0;
  double dsr = 0, l1 = 0, l2 = 0, clean_l1 = 0, clean_l2 = 0, poisoned_l1 = 0, poisoned_l2 = 0;  // means
};

// Every frame of `driver` in batches; `progress` gets the frames done. Both models must take the
// driver's crop size.
std::vector<ReenactFrameScore> score_reenactment(nets::TranslatorImpl& clean, nets::TranslatorImpl& poisoned,
                                                 const TalkingHead& driver, double threshold,
                                                 const torch::Device& device,
                                                 const std::function<void(std::int64_t)>& progress = {});
ReenactSummary summarize(const std::vector<ReenactFrameScore>& frames);

}  // namespace idef
