// Input diversity for training the perturbation generator (the protection issue's transfer
// switch): before the surrogate sees them, clean x and protected x' go through one random
// view, the same for both — a resize by 0.9–1.1 with a random crop or pad back to the size
// (a shift of a few pixels) and a Gaussian blur of σ 0–1 px — so that PG learns
// perturbations that survive small geometric and optical changes instead of ones tuned to
// one surrogate's exact pixel grid. Differentiable in x'.
#pragma once
#include <cstdint>
#include <random>
#include <utility>

#include <torch/torch.h>

namespace idef {

struct RandomView {
  double scale = 1;      // resize factor before the crop or pad
  std::int64_t dy = 0, dx = 0;  // offset of the crop (scale > 1) or of the image in the pad (scale < 1)
  double blur_sigma = 0;  // 0: no blur
};

// A view drawn from `rng` for images of size h × w.
RandomView draw_random_view(std::mt19937_64& rng, std::int64_t h, std::int64_t w);

// The view applied to [N, C, H, W] images; the result has the input's size.
torch::Tensor apply_view(const torch::Tensor& images, const RandomView& view);

}  // namespace idef
