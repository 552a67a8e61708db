// The network view of a picture: 8-bit sRGB, 3 channels, rows top to bottom, contiguous
// H×W×3 bytes. Shared by image I/O, tensor conversion and face detection.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace idef {

struct Rgb8 {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;  // (y * width + x) * 3 + channel

  Rgb8() = default;
  Rgb8(int w, int h) : width(w), height(h), pixels(std::size_t(w) * std::size_t(h) * 3, 0) {}

  std::uint8_t* data() { return pixels.data(); }
  const std::uint8_t* data() const { return pixels.data(); }
  std::uint8_t& at(int x, int y, int c) { return pixels[(std::size_t(y) * width + x) * 3 + c]; }
  std::uint8_t at(int x, int y, int c) const { return pixels[(std::size_t(y) * width + x) * 3 + c]; }
  bool operator==(const Rgb8& o) const {
    return width == o.width && height == o.height && pixels == o.pixels;
  }
  bool operator!=(const Rgb8& o) const { return !(*this == o); }
};

}  // namespace idef
