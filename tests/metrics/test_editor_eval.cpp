#include "metrics/editor_eval.h"

#include <gtest/gtest.h>

#include "data/celeba_layout.h"
#include "test_util.h"

namespace {

// Editors whose figures are known without training: one that returns its input, one that
// brightens everything by the same amount whatever the labels.
class ShiftEditor final : public idef::nets::EditorImpl {
 public:
  explicit ShiftEditor(double shift) : EditorImpl(config()), shift_(shift) {}
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor&) override { return x + shift_; }

 private:
  static idef::nets::EditorConfig config() {
    idef::nets::EditorConfig c;
    c.c_dim = 2;
    c.image_size = 32;
    return c;
  }
  double shift_;
};

}  // namespace

// An editor that changes nothing scores the do-nothing L1 on the edit and on the change, with
// no reconstruction error; one that shifts everything by 0.1 has a reconstruction error of
// 0.1 and still makes no change of its own.
TEST(EditorEval, ReconstructionAndChangeSeparateTheEditorsErrors) {
  idef::test::ScratchDir dir;
  idef::synth::CelebaWriteOptions w;
  w.seed = 4;
  w.count = 12;
  w.size = 32;
  w.counterfactuals = true;
  w.counterfactual_attributes = {"Male", "Eyeglasses"};
  idef::synth::write_celeba(dir / "faces", w);
  idef::DatasetOptions d;
  d.split = "all";
  for (double shift : {0.0, 0.1}) {
    idef::EditorModel model{std::make_shared<ShiftEditor>(shift), {"Male", "Eyeglasses"}};
    auto scores = idef::evaluate_editor(model, dir / "faces", d, 5);
    ASSERT_EQ(scores.size(), 2u);
    for (const auto& s : scores) {
      EXPECT_EQ(s.count, 12) << s.attribute;  // flipped attributes: every face has a counterfactual
      EXPECT_GT(s.l1_nothing, 0.0) << s.attribute;
      EXPECT_NEAR(s.l1_reconstruction, shift, 1e-5) << s.attribute;
      EXPECT_NEAR(s.l1_change, s.l1_nothing, 1e-5) << s.attribute;
      EXPECT_NEAR(s.change_reduction(), 0.0, 1e-4) << s.attribute;
      if (shift == 0.0) EXPECT_NEAR(s.l1_edit, s.l1_nothing, 1e-6) << s.attribute;
      else EXPECT_GT(s.l1_edit, s.l1_nothing) << s.attribute;
      // Making no change misses the true change where it lies, and nearly nothing elsewhere.
      EXPECT_NEAR(s.l1_change_inside + s.l1_change_outside, s.l1_change, 1e-6) << s.attribute;
      EXPECT_LT(s.l1_change_outside, 0.05 * s.l1_change_inside) << s.attribute;
      // Flipped both ways over these faces, each direction making no change of its own.
      EXPECT_GT(s.to_on.count, 0) << s.attribute;
      EXPECT_GT(s.to_off.count, 0) << s.attribute;
      EXPECT_EQ(s.to_on.count + s.to_off.count, s.count) << s.attribute;
      EXPECT_NEAR(s.to_on.l1_nothing * s.to_on.count + s.to_off.l1_nothing * s.to_off.count,
                  s.l1_nothing * s.count, 1e-5 * s.count) << s.attribute;
      if (shift == 0.0) EXPECT_NEAR(s.to_off.reduction(), 0.0, 1e-5) << s.attribute;
    }
  }
}
