// Exact conversion between the 8-bit network view and the float tensors the networks use:
// x = v / 127.5 − 1 in [-1, 1], NCHW, RGB; back with round((x + 1) · 127.5), clamped.
// Every 8-bit value survives the round trip unchanged.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "io/rgb8.h"

namespace idef {

// One image as a [1, 3, H, W] float tensor on the CPU.
torch::Tensor rgb8_to_tensor(const Rgb8& image);
// Several images of one size as [N, 3, H, W].
torch::Tensor rgb8_to_tensor(const std::vector<Rgb8>& images);

// A [1, 3, H, W] or [3, H, W] tensor (any device, any float type) back to 8 bits.
Rgb8 tensor_to_rgb8(const torch::Tensor& tensor);
// Every image of an [N, 3, H, W] batch.
std::vector<Rgb8> tensor_to_rgb8_batch(const torch::Tensor& batch);

}  // namespace idef
