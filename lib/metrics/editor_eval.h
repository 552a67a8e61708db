// How well a forger's editor edits, judged on synthetic faces whose true counterfactuals
// are known: per attribute, the mean L1 between the edit and the counterfactual, next to
// the do-nothing L1 between the input and the counterfactual. Because the edit's L1 also
// carries every error the editor makes where nothing should change, two more figures
// separate the two: the editor's reconstruction error M(x, c) − x on the input's own labels,
// and the L1 between the change it makes and the true change (with the same do-nothing
// figure: an editor that changes nothing scores l1_nothing on both). The change's L1 is split
// further into where the true change lies and elsewhere (an edit that spills over the rest of
// the picture, or misses the part that should change), and the edit's figures per direction
// of a flipped attribute (turning it on, turning it off: one may be learnt and the other not).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/face_dataset.h"
#include "model/editor_model.h"

namespace idef {

// An edit's L1 figures over the faces whose edit turns the attribute one way.
struct DirectionScore {
  std::int64_t count = 0;
  double l1_edit = 0, l1_nothing = 0;
  double reduction() const { return l1_nothing > 0 ? 1.0 - l1_edit / l1_nothing : 0.0; }
};

// Pixels where the true change |x_cf − x|, summed over the channels on the [-1,1] scale,
// exceeds this count as "where the attribute lives" (sensor noise is the same in both).
constexpr double kTrueChangeThreshold = 0.03;

struct AttributeEditScore {
  std::string attribute;
  std::int64_t count = 0;
  double l1_edit = 0;     // mean |M(x, c_j) − x_cf|, [-1,1] scale
  double l1_nothing = 0;  // mean |x − x_cf|
  double l1_reconstruction = 0;  // mean |M(x, c) − x|, c the input's own labels
  double l1_change = 0;          // mean |(M(x, c_j) − M(x, c)) − (x_cf − x)|
  // l1_change = l1_change_inside + l1_change_outside: the sums over the pixels of the true
  // change and over the others, each divided by the whole picture's size.
  double l1_change_inside = 0, l1_change_outside = 0;
  DirectionScore to_on, to_off;  // edits that set the attribute, and those that clear it
  double reduction() const { return l1_nothing > 0 ? 1.0 - l1_edit / l1_nothing : 0.0; }
  double change_reduction() const { return l1_nothing > 0 ? 1.0 - l1_change / l1_nothing : 0.0; }
};

// `root` is a CelebA-layout folder with counterfactuals/<Attribute>/<file> beside
// img_align_celeba/ (as id-synth writes it). Images whose counterfactual equals the input
// (the hair colour they already have) are left out of that attribute's figures.
std::vector<AttributeEditScore> evaluate_editor(const EditorModel& model, const std::string& root,
                                                const DatasetOptions& options, int batch = 16,
                                                const torch::Device& device = torch::kCPU);

}  // namespace idef
