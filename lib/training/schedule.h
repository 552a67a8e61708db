// Learning-rate schedules shared by the training recipes (StarGAN's and pix2pix's both decay
// linearly to zero at the end of a run).
#pragma once
#include <algorithm>
#include <cstdint>

#include <torch/torch.h>

namespace idef {

// 1 until `span` iterations before `end`, then linear to 0 at `end` (always 1 when span <= 0).
inline double linear_decay(std::int64_t iteration, std::int64_t end, std::int64_t span) {
  if (span <= 0) return 1.0;
  return std::clamp(double(end - iteration) / double(span), 0.0, 1.0);
}

inline void set_learning_rate(torch::optim::Adam& opt, double lr) {
  for (auto& group : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
}

}  // namespace idef
