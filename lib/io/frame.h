// Video frames as 8-bit YUV planes, and their conversion to and from RGB for the networks.
//
// Two conversion paths:
//  - to_rgb24 / from_rgb24: packed 8-bit RGB through libswscale. 8-bit RGB cannot hold
//    every YUV triplet, so a YUV -> RGB -> YUV round trip is only approximately exact.
//  - to_rgb_float / from_rgb_float: planar float RGB through our own matrix code. Chroma
//    is upsampled by replication and downsampled by box average, and nothing is clamped
//    on the way to float, so an unmodified frame comes back bit-identical for every
//    chroma layout: only the pixels the caller changed change. Use this path for
//    perturbing video.
#pragma once
#include "io/rgb8.h"
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace idef {

enum class ChromaLayout { Mono, C420, C422, C444 };

// Which YUV <-> RGB matrix and which code range the YUV samples use.
struct ColourSpec {
  enum class Matrix { Bt601, Bt709 };
  enum class Range { Limited, Full };
  Matrix matrix = Matrix::Bt601;
  Range range = Range::Limited;
  bool operator==(const ColourSpec& o) const { return matrix == o.matrix && range == o.range; }
  bool operator!=(const ColourSpec& o) const { return !(*this == o); }
};

const char* to_string(ChromaLayout layout);

// One picture: Y plane, then U and V (none for Mono), 8 bits per sample. Planes are
// tightly packed (stride == plane width), which is also their layout in a y4m stream.
class VideoFrame {
 public:
  VideoFrame() = default;
  VideoFrame(int width, int height, ChromaLayout layout);

  int width() const { return width_; }
  int height() const { return height_; }
  ChromaLayout layout() const { return layout_; }
  bool empty() const { return width_ == 0; }

  int plane_count() const { return layout_ == ChromaLayout::Mono ? 1 : 3; }
  int plane_width(int plane) const;
  int plane_height(int plane) const;
  int stride(int plane) const { return plane_width(plane); }
  std::size_t plane_size(int plane) const {
    return static_cast<std::size_t>(plane_width(plane)) * plane_height(plane);
  }
  // Bytes of all planes together: the payload of one y4m frame.
  std::size_t byte_size() const;

  std::uint8_t* plane(int p) { return planes_[p].data(); }
  const std::uint8_t* plane(int p) const { return planes_[p].data(); }

  bool operator==(const VideoFrame& o) const;  // same size, layout and samples

  // Bytes after each plane that libswscale may write: its SIMD code stores whole vectors,
  // past the end of a row whose width is not a multiple of them, and so past the end of
  // the last row (AddressSanitizer caught it overwriting the heap after a 4-pixel plane).
  static constexpr std::size_t kScalerSlack = 256;

 private:
  int width_ = 0, height_ = 0;
  ChromaLayout layout_ = ChromaLayout::C420;
  std::array<std::vector<std::uint8_t>, 3> planes_;
};


// Planar float RGB (R plane, then G, then B), nominally in [0, 1]. Not clamped: a YUV
// triplet outside the RGB gamut maps slightly outside [0, 1], which keeps the round
// trip exact; clamp after changing the values if the consumer needs [0, 1].
struct RgbFloatImage {
  int width = 0, height = 0;
  std::vector<float> data;
  RgbFloatImage() = default;
  RgbFloatImage(int w, int h) : width(w), height(h), data(static_cast<std::size_t>(w) * h * 3) {}
  float* channel(int c) { return data.data() + static_cast<std::size_t>(c) * width * height; }
  const float* channel(int c) const { return data.data() + static_cast<std::size_t>(c) * width * height; }
};

// Through libswscale (accurate rounding, bit-exact C code, full-resolution chroma).
// The SwsContexts are cached per thread and geometry, so a stream does not rebuild them
// per frame.
Rgb8 to_rgb24(const VideoFrame& frame, const ColourSpec& spec);
VideoFrame from_rgb24(const Rgb8& rgb, ChromaLayout layout, const ColourSpec& spec);
VideoFrame from_rgb24(const std::uint8_t* rgb, int width, int height, ChromaLayout layout,
                      const ColourSpec& spec);

// The 8-bit view of one float RGB value: ×255, clamped, rounded (through int, which vector
// code can convert to).
inline std::uint8_t rgb8_of(float v) {
  const float scaled = v * 255.f, low = scaled < 0.f ? 0.f : scaled;
  return static_cast<std::uint8_t>(static_cast<int>((low > 255.f ? 255.f : low) + 0.5f));
}

// Our own float matrix code: bit-exact round trip (see the top of this file).
RgbFloatImage to_rgb_float(const VideoFrame& frame, const ColourSpec& spec);
VideoFrame from_rgb_float(const RgbFloatImage& rgb, ChromaLayout layout, const ColourSpec& spec);

// The 8-bit view of the float path (each value ×255, clamped, rounded) into `rgb`, reused
// when it has the frame's size: what detectors and networks see of a frame.
void to_rgb8_view(const VideoFrame& frame, const ColourSpec& spec, Rgb8& rgb);
// Adds to the frame, inside the box [x0, x1] × [y0, y1] (widened to whole chroma blocks),
// the change from `before`, its 8-bit view, to `after` (both images of the frame's size):
// the same result, to float rounding, as from_rgb_float(to_rgb_float(frame) + (after −
// before) / 255) without a float copy of the frame. Y takes each pixel's change; U and V
// the mean of their block's. An unchanged pixel adds nothing: an unchanged block keeps its
// bytes.
void add_rgb8_change(VideoFrame& frame, const ColourSpec& spec, const Rgb8& before, const Rgb8& after, int x0, int y0,
                     int x1, int y1);

}  // namespace idef
