#include "io/tensor_image.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace idef {

torch::Tensor rgb8_to_tensor(const Rgb8& image) { return rgb8_to_tensor(std::vector<Rgb8>{image}); }

torch::Tensor rgb8_to_tensor(const std::vector<Rgb8>& images) {
  if (images.empty()) throw std::invalid_argument("rgb8_to_tensor: no images");
  const int w = images[0].width, h = images[0].height;
  auto bytes = torch::empty({int64_t(images.size()), h, w, 3}, torch::kUInt8);
  for (size_t i = 0; i < images.size(); ++i) {
    const Rgb8& im = images[i];
    if (im.width != w || im.height != h || im.pixels.size() != size_t(w) * h * 3)
      throw std::invalid_argument("rgb8_to_tensor: images differ in size");
    std::memcpy(bytes[int64_t(i)].data_ptr<uint8_t>(), im.data(), im.pixels.size());
  }
  // Division rather than multiplication by 1/127.5 keeps the way back exact.
  return bytes.permute({0, 3, 1, 2}).to(torch::kFloat32).div_(127.5).sub_(1.0).contiguous();
}

std::vector<Rgb8> tensor_to_rgb8_batch(const torch::Tensor& batch) {
  if (batch.dim() != 4 || batch.size(1) != 3)
    throw std::invalid_argument("tensor_to_rgb8: expected [N, 3, H, W], got " +
                                std::to_string(batch.dim()) + " dimensions");
  auto bytes = batch.detach()
                   .to(torch::kCPU, torch::kFloat32)
                   .add(1.0)
                   .mul_(127.5)
                   .round_()
                   .clamp_(0, 255)
                   .to(torch::kUInt8)
                   .permute({0, 2, 3, 1})
                   .contiguous();
  std::vector<Rgb8> out;
  const int h = int(batch.size(2)), w = int(batch.size(3));
  for (int64_t i = 0; i < batch.size(0); ++i) {
    Rgb8 im(w, h);
    std::memcpy(im.data(), bytes[i].data_ptr<uint8_t>(), im.pixels.size());
    out.push_back(std::move(im));
  }
  return out;
}

Rgb8 tensor_to_rgb8(const torch::Tensor& tensor) {
  torch::Tensor t = tensor.dim() == 3 ? tensor.unsqueeze(0) : tensor;
  if (t.dim() != 4 || t.size(0) != 1)
    throw std::invalid_argument("tensor_to_rgb8: expected one image, [1, 3, H, W] or [3, H, W]");
  return tensor_to_rgb8_batch(t)[0];
}

}  // namespace idef
