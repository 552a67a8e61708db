#include "io/frame.h"

#include "core/pixel_kernel.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

extern "C" {
#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>
}

#include "core/error.h"
#include "io/av_pixel_format.h"
#include "io/image.h"

namespace idef {

const char* to_string(ChromaLayout layout) {
  switch (layout) {
    case ChromaLayout::Mono: return "mono";
    case ChromaLayout::C420: return "4:2:0";
    case ChromaLayout::C422: return "4:2:2";
    case ChromaLayout::C444: return "4:4:4";
  }
  return "?";
}

namespace {

int chroma_shift_x(ChromaLayout l) { return l == ChromaLayout::C420 || l == ChromaLayout::C422 ? 1 : 0; }
int chroma_shift_y(ChromaLayout l) { return l == ChromaLayout::C420 ? 1 : 0; }

}  // namespace

VideoFrame::VideoFrame(int width, int height, ChromaLayout layout)
    : width_(width), height_(height), layout_(layout) {
  if (width <= 0 || height <= 0) throw std::invalid_argument("VideoFrame: empty size");
  for (int p = 0; p < plane_count(); ++p) planes_[p].assign(plane_size(p) + kScalerSlack, p == 0 ? 0 : 128);
}

bool VideoFrame::operator==(const VideoFrame& o) const {
  if (width_ != o.width_ || height_ != o.height_ || layout_ != o.layout_) return false;
  for (int p = 0; p < plane_count(); ++p)
    if (!std::equal(plane(p), plane(p) + plane_size(p), o.plane(p))) return false;
  return true;
}

int VideoFrame::plane_width(int plane) const {
  if (plane == 0) return width_;
  int s = chroma_shift_x(layout_);
  return (width_ + (1 << s) - 1) >> s;  // odd sizes round up, as in y4m and FFmpeg
}

int VideoFrame::plane_height(int plane) const {
  if (plane == 0) return height_;
  int s = chroma_shift_y(layout_);
  return (height_ + (1 << s) - 1) >> s;
}

std::size_t VideoFrame::byte_size() const {
  std::size_t n = 0;
  for (int p = 0; p < plane_count(); ++p) n += plane_size(p);
  return n;
}

// ---------------------------------------------------------------------------------------
// libswscale path

namespace {

// SWS_POINT: nearest chroma gave the smallest YUV -> RGB -> YUV error in our measurements
// (bilinear/bicubic chroma resampling do not invert each other). ACCURATE_RND and
// BITEXACT: same result on every CPU; FULL_CHR_H_INT: no extra horizontal chroma
// decimation inside the RGB output stage.
constexpr int kSwsFlags = SWS_POINT | SWS_ACCURATE_RND | SWS_BITEXACT | SWS_FULL_CHR_H_INT;

// One cached SwsContext for one direction; rebuilt only when geometry or format change.
class CachedScaler {
 public:
  ~CachedScaler() { sws_freeContext(ctx_); }

  SwsContext* get(int w, int h, AVPixelFormat src, AVPixelFormat dst, const ColourSpec& spec,
                  bool yuv_is_source) {
    SwsContext* ctx = sws_getCachedContext(ctx_, w, h, src, w, h, dst, kSwsFlags, nullptr,
                                           nullptr, nullptr);
    if (!ctx) throw Error("cannot set up colour conversion (libswscale)");
    if (ctx != ctx_ || !have_spec_ || spec != spec_) {
      ctx_ = ctx;
      const int* coefficients = sws_getCoefficients(
          spec.matrix == ColourSpec::Matrix::Bt709 ? SWS_CS_ITU709 : SWS_CS_ITU601);
      int yuv_full = spec.range == ColourSpec::Range::Full ? 1 : 0;
      // inv_table/srcRange describe the source, table/dstRange the destination; RGB is
      // always full range.
      int rc = sws_setColorspaceDetails(ctx, coefficients, yuv_is_source ? yuv_full : 1,
                                        coefficients, yuv_is_source ? 1 : yuv_full, 0,
                                        1 << 16, 1 << 16);
      if (rc < 0) throw Error("libswscale cannot apply the colour matrix/range");
      spec_ = spec;
      have_spec_ = true;
    }
    return ctx;
  }

 private:
  SwsContext* ctx_ = nullptr;
  ColourSpec spec_;
  bool have_spec_ = false;
};

thread_local CachedScaler yuv_to_rgb_scaler;
thread_local CachedScaler rgb_to_yuv_scaler;

std::uint8_t to_code(float v) {
  // floor(v + 0.5) clamped to [0, 255]: the truncation of a non-negative value is its floor
  // (and needs no libm call). Clamped by value, not std::clamp's references: vector code.
  const float up = v + 0.5f, low = up < 0.f ? 0.f : up;
  return static_cast<std::uint8_t>(static_cast<int>(low > 255.5f ? 255.5f : low));
}

Rgb8 mono_to_rgb24(const VideoFrame& frame, const ColourSpec& spec) {
  Rgb8 rgb;
  to_rgb8_view(frame, spec, rgb);
  return rgb;
}

VideoFrame mono_from_rgb24(const std::uint8_t* rgb, int width, int height, const ColourSpec& spec) {
  RgbFloatImage f(width, height);
  const std::size_t n = static_cast<std::size_t>(width) * height;
  for (std::size_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) f.channel(c)[i] = rgb[i * 3 + c] / 255.f;
  return from_rgb_float(f, ChromaLayout::Mono, spec);
}

}  // namespace

Rgb8 to_rgb24(const VideoFrame& frame, const ColourSpec& spec) {
  // libswscale treats GRAY8 as full range whatever range it is told, so mono goes
  // through our own matrix code.
  if (frame.layout() == ChromaLayout::Mono) return mono_to_rgb24(frame, spec);
  // At an odd size libswscale maps chroma to pixels as a resize of the chroma plane, not by
  // block (a third of a random frame's values off the block's colour): such a frame is
  // decoded as the even frame one luma column or row larger, whose chroma planes are the
  // same, and cropped.
  const int sx = chroma_shift_x(frame.layout()), sy = chroma_shift_y(frame.layout());
  const int even_w = ((frame.width() + (1 << sx) - 1) >> sx) << sx;
  const int even_h = ((frame.height() + (1 << sy) - 1) >> sy) << sy;
  if (even_w != frame.width() || even_h != frame.height()) {
    VideoFrame even(even_w, even_h, frame.layout());
    for (int y = 0; y < even_h; ++y) {
      const std::uint8_t* row = frame.plane(0) + std::size_t(std::min(y, frame.height() - 1)) * frame.stride(0);
      std::uint8_t* out = even.plane(0) + std::size_t(y) * even.stride(0);
      std::copy_n(row, frame.width(), out);
      std::fill(out + frame.width(), out + even_w, row[frame.width() - 1]);
    }
    for (int p = 1; p < frame.plane_count(); ++p) std::copy_n(frame.plane(p), frame.plane_size(p), even.plane(p));
    return crop_rgb8(to_rgb24(even, spec), 0, 0, frame.width(), frame.height());
  }
  Rgb8 rgb(frame.width(), frame.height());
  SwsContext* ctx = yuv_to_rgb_scaler.get(frame.width(), frame.height(),
                                          pixel_format_of(frame.layout()), AV_PIX_FMT_RGB24,
                                          spec, true);
  const std::uint8_t* src[4] = {frame.plane(0), nullptr, nullptr, nullptr};
  int src_stride[4] = {frame.stride(0), 0, 0, 0};
  for (int p = 1; p < frame.plane_count(); ++p) {
    src[p] = frame.plane(p);
    src_stride[p] = frame.stride(p);
  }
  // Through a buffer with slack (see VideoFrame::kScalerSlack), then into the tight one.
  thread_local std::vector<std::uint8_t> scratch;
  scratch.resize(rgb.pixels.size() + VideoFrame::kScalerSlack);
  std::uint8_t* dst[4] = {scratch.data(), nullptr, nullptr, nullptr};
  int dst_stride[4] = {frame.width() * 3, 0, 0, 0};
  sws_scale(ctx, src, src_stride, 0, frame.height(), dst, dst_stride);
  std::copy_n(scratch.data(), rgb.pixels.size(), rgb.pixels.data());
  return rgb;
}

VideoFrame from_rgb24(const std::uint8_t* rgb, int width, int height, ChromaLayout layout,
                      const ColourSpec& spec) {
  if (layout == ChromaLayout::Mono) return mono_from_rgb24(rgb, width, height, spec);
  VideoFrame frame(width, height, layout);
  SwsContext* ctx = rgb_to_yuv_scaler.get(width, height, AV_PIX_FMT_RGB24,
                                          pixel_format_of(layout), spec, false);
  // Its SIMD loads read past the end of a row too: the source gets the same slack.
  thread_local std::vector<std::uint8_t> scratch;
  const std::size_t bytes = static_cast<std::size_t>(width) * height * 3;
  scratch.resize(bytes + VideoFrame::kScalerSlack);
  std::copy_n(rgb, bytes, scratch.data());
  const std::uint8_t* src[4] = {scratch.data(), nullptr, nullptr, nullptr};
  int src_stride[4] = {width * 3, 0, 0, 0};
  std::uint8_t* dst[4] = {frame.plane(0), nullptr, nullptr, nullptr};
  int dst_stride[4] = {frame.stride(0), 0, 0, 0};
  for (int p = 1; p < frame.plane_count(); ++p) {
    dst[p] = frame.plane(p);
    dst_stride[p] = frame.stride(p);
  }
  sws_scale(ctx, src, src_stride, 0, height, dst, dst_stride);
  return frame;
}

VideoFrame from_rgb24(const Rgb8& rgb, ChromaLayout layout, const ColourSpec& spec) {
  if (rgb.pixels.size() != static_cast<std::size_t>(rgb.width) * rgb.height * 3)
    throw std::invalid_argument("from_rgb24: buffer size does not match width x height x 3");
  return from_rgb24(rgb.pixels.data(), rgb.width, rgb.height, layout, spec);
}

// ---------------------------------------------------------------------------------------
// Float path: Y'CbCr with the textbook equations. Every step is an exact inverse of the
// other direction up to float rounding (~1e-4 of a code value), and rounding to the
// nearest code removes that, so unmodified pixels come back identical.

namespace {

struct Matrix {
  float kr, kg, kb;
  float y_offset, y_scale, c_scale;  // code = offset + scale * value

  explicit Matrix(const ColourSpec& spec) {
    double r = spec.matrix == ColourSpec::Matrix::Bt709 ? 0.2126 : 0.299;
    double b = spec.matrix == ColourSpec::Matrix::Bt709 ? 0.0722 : 0.114;
    kr = static_cast<float>(r);
    kb = static_cast<float>(b);
    kg = static_cast<float>(1.0 - r - b);
    bool full = spec.range == ColourSpec::Range::Full;
    y_offset = full ? 0.f : 16.f;
    y_scale = full ? 255.f : 219.f;
    c_scale = full ? 255.f : 224.f;
  }
};

}  // namespace

namespace {

// One row of Y'CbCr to float RGB, and to the 8-bit view when `rgb` is given. Straight-line
// arithmetic, no tables: the compiler turns the loops into vector code. U and V are null
// for mono; sx is the chroma's horizontal shift.
IDEF_PIXEL_KERNEL
void yuv_row_to_rgb(const Matrix& m, int w, int sx, const std::uint8_t* __restrict Y, const std::uint8_t* __restrict U,
                    const std::uint8_t* __restrict V, float* __restrict R, float* __restrict G, float* __restrict B,
                    std::uint8_t* __restrict rgb) {
  const float y_offset = m.y_offset, y_scale = m.y_scale, c_scale = m.c_scale, kr = m.kr, kg = m.kg, kb = m.kb;
  const float cr_to_r = 2.f * (1.f - kr), cb_to_b = 2.f * (1.f - kb);
  auto luma = [&](std::uint8_t v) { return (v - y_offset) / y_scale; };
  auto chroma = [&](std::uint8_t v) { return (v - 128.f) / c_scale; };
  if (!U) {
    for (int x = 0; x < w; ++x) R[x] = G[x] = B[x] = luma(Y[x]);
  } else {
    // Nearest chroma: each sample is replicated over its block's columns (in pairs when
    // the block is two wide, the last one alone in an odd row).
    if (sx == 0) {
      for (int x = 0; x < w; ++x) R[x] = cr_to_r * chroma(V[x]), B[x] = cb_to_b * chroma(U[x]);
    } else {
      for (int c = 0; c < w / 2; ++c) {
        const float r = cr_to_r * chroma(V[c]), b = cb_to_b * chroma(U[c]);
        R[2 * c] = R[2 * c + 1] = r;
        B[2 * c] = B[2 * c + 1] = b;
      }
      if (w & 1) R[w - 1] = cr_to_r * chroma(V[w / 2]), B[w - 1] = cb_to_b * chroma(U[w / 2]);
    }
    for (int x = 0; x < w; ++x) {
      const float l = luma(Y[x]);
      R[x] += l;
      B[x] += l;
      G[x] = (l - kr * R[x] - kb * B[x]) / kg;
    }
  }
  if (!rgb) return;
  for (int x = 0; x < w; ++x) rgb[3 * x] = rgb8_of(R[x]), rgb[3 * x + 1] = rgb8_of(G[x]), rgb[3 * x + 2] = rgb8_of(B[x]);
}

// yuv_row_to_rgb for row y of a frame.
struct RowConverter {
  const Matrix m;
  explicit RowConverter(const ColourSpec& spec) : m(spec) {}
  void operator()(const VideoFrame& frame, int y, float* R, float* G, float* B, std::uint8_t* rgb) const {
    const std::uint8_t* Y = frame.plane(0) + static_cast<std::size_t>(y) * frame.stride(0);
    const std::uint8_t *U = nullptr, *V = nullptr;
    if (frame.layout() != ChromaLayout::Mono) {
      const int sy = chroma_shift_y(frame.layout());
      U = frame.plane(1) + static_cast<std::size_t>(y >> sy) * frame.stride(1);
      V = frame.plane(2) + static_cast<std::size_t>(y >> sy) * frame.stride(2);
    }
    yuv_row_to_rgb(m, frame.width(), chroma_shift_x(frame.layout()), Y, U, V, R, G, B, rgb);
  }
};

}  // namespace

RgbFloatImage to_rgb_float(const VideoFrame& frame, const ColourSpec& spec) {
  const int w = frame.width(), h = frame.height();
  RgbFloatImage out(w, h);
  const RowConverter convert(spec);
  for (int y = 0; y < h; ++y) {
    const std::size_t i = static_cast<std::size_t>(y) * w;
    convert(frame, y, out.channel(0) + i, out.channel(1) + i, out.channel(2) + i, nullptr);
  }
  return out;
}

void to_rgb8_view(const VideoFrame& frame, const ColourSpec& spec, Rgb8& rgb) {
  const int w = frame.width(), h = frame.height();
  if (rgb.width != w || rgb.height != h) rgb = Rgb8(w, h);
  const RowConverter convert(spec);
  std::vector<float> row(static_cast<std::size_t>(w) * 3);  // one row: stays in the cache
  for (int y = 0; y < h; ++y)
    convert(frame, y, row.data(), row.data() + w, row.data() + 2 * w, rgb.data() + static_cast<std::size_t>(y) * w * 3);
}

namespace {

// Per pixel of a run of 8-bit RGB pairs: the change of luma, Cb and Cr (as fractions of the
// code range), with no branch: the compiler turns the loop into vector code.
IDEF_PIXEL_KERNEL
void yuv_changes(int n, const std::uint8_t* __restrict before, const std::uint8_t* __restrict after, float kr, float kg,
                 float kb, float b_to_cb, float r_to_cr, float* __restrict luma, float* __restrict cb,
                 float* __restrict cr) {
  for (int i = 0; i < n; ++i) {
    const float r = (after[3 * i] - before[3 * i]) / 255.f, g = (after[3 * i + 1] - before[3 * i + 1]) / 255.f,
                b = (after[3 * i + 2] - before[3 * i + 2]) / 255.f;
    const float l = kr * r + kg * g + kb * b;
    luma[i] = l;
    cb[i] = (b - l) * b_to_cb;
    cr[i] = (r - l) * r_to_cr;
  }
}

// Y += scale × change for a run of luma samples.
IDEF_PIXEL_KERNEL
void add_luma(int n, std::uint8_t* __restrict Y, const float* __restrict change, float scale) {
  for (int i = 0; i < n; ++i) Y[i] = to_code(Y[i] + scale * change[i]);
}

}  // namespace

void add_rgb8_change(VideoFrame& frame, const ColourSpec& spec, const Rgb8& before, const Rgb8& after, int x0, int y0,
                     int x1, int y1) {
  const int w = frame.width(), h = frame.height();
  if (before.width != w || before.height != h || after.width != w || after.height != h)
    throw std::invalid_argument("add_rgb8_change: the 8-bit images are not the frame's size");
  const int sx = chroma_shift_x(frame.layout()), sy = chroma_shift_y(frame.layout());
  x0 = std::max(0, (x0 >> sx) << sx), y0 = std::max(0, (y0 >> sy) << sy);
  x1 = std::min(w - 1, (((x1 >> sx) + 1) << sx) - 1), y1 = std::min(h - 1, (((y1 >> sy) + 1) << sy) - 1);
  if (x1 < x0 || y1 < y0) return;
  const int bw = x1 - x0 + 1;
  const Matrix m(spec);
  const bool mono = frame.layout() == ChromaLayout::Mono;
  const float b_to_cb = 1.f / (2.f * (1.f - m.kb)), r_to_cr = 1.f / (2.f * (1.f - m.kr));
  // Each row's changes, then per chroma sample of the box's current chroma row the summed
  // change of Cb and Cr. An unchanged pixel adds 0 and an unchanged sample keeps its code.
  thread_local std::vector<float> luma, cb_row, cr_row;
  for (auto* v : {&luma, &cb_row, &cr_row}) v->resize(bw);
  const int c0 = x0 >> sx, cw = (x1 >> sx) - c0 + 1;
  std::vector<float> cb(cw, 0.f), cr(cw, 0.f);
  int rows = 0;  // of the current chroma row so far
  for (int y = y0; y <= y1; ++y) {
    std::uint8_t* Y = frame.plane(0) + static_cast<std::size_t>(y) * frame.stride(0) + x0;
    const std::size_t row = (static_cast<std::size_t>(y) * w + x0) * 3;
    yuv_changes(bw, before.data() + row, after.data() + row, m.kr, m.kg, m.kb, b_to_cb, r_to_cr, luma.data(),
                cb_row.data(), cr_row.data());
    add_luma(bw, Y, luma.data(), m.y_scale);
    if (mono) continue;
    ++rows;
    if (sx == 0) {
      for (int c = 0; c < cw; ++c) cb[c] += cb_row[c], cr[c] += cr_row[c];
    } else {  // blocks two wide; the last one alone where the frame's width is odd
      for (int c = 0; c < bw / 2; ++c) cb[c] += cb_row[2 * c] + cb_row[2 * c + 1], cr[c] += cr_row[2 * c] + cr_row[2 * c + 1];
      if (bw & 1) cb[cw - 1] += cb_row[bw - 1], cr[cw - 1] += cr_row[bw - 1];
    }
    if (y < y1 && ((y + 1) & ((1 << sy) - 1)) != 0) continue;
    // The chroma row is complete: each sample moves by its block's mean change.
    std::uint8_t* U = frame.plane(1) + static_cast<std::size_t>(y >> sy) * frame.stride(1) + c0;
    std::uint8_t* V = frame.plane(2) + static_cast<std::size_t>(y >> sy) * frame.stride(2) + c0;
    for (int c = 0; c < cw; ++c) {
      const int count = rows * (sx == 0 || 2 * c + 1 < bw ? 1 << sx : 1);
      U[c] = to_code(U[c] + m.c_scale * cb[c] / count);
      V[c] = to_code(V[c] + m.c_scale * cr[c] / count);
      cb[c] = cr[c] = 0.f;
    }
    rows = 0;
  }
}

VideoFrame from_rgb_float(const RgbFloatImage& rgb, ChromaLayout layout, const ColourSpec& spec) {
  const Matrix m(spec);
  const int w = rgb.width, h = rgb.height;
  if (rgb.data.size() != static_cast<std::size_t>(w) * h * 3)
    throw std::invalid_argument("from_rgb_float: buffer size does not match width x height x 3");
  VideoFrame frame(w, h, layout);
  const float* R = rgb.channel(0);
  const float* G = rgb.channel(1);
  const float* B = rgb.channel(2);
  const bool mono = layout == ChromaLayout::Mono;
  // Per-pixel Cb/Cr summed over each chroma sample's block, then averaged (box filter:
  // the exact inverse of replication for unmodified pixels).
  const int cw = frame.plane_width(1), ch = frame.plane_height(1);
  std::vector<float> cb_sum, cr_sum;
  std::vector<int> count;
  if (!mono) {
    cb_sum.assign(static_cast<std::size_t>(cw) * ch, 0.f);
    cr_sum.assign(cb_sum.size(), 0.f);
    count.assign(cb_sum.size(), 0);
  }
  const int sx = chroma_shift_x(layout), sy = chroma_shift_y(layout);
  const float b_to_cb = 1.f / (2.f * (1.f - m.kb)), r_to_cr = 1.f / (2.f * (1.f - m.kr));
  for (int y = 0; y < h; ++y) {
    std::uint8_t* Y = frame.plane(0) + static_cast<std::size_t>(y) * frame.stride(0);
    for (int x = 0; x < w; ++x) {
      std::size_t i = static_cast<std::size_t>(y) * w + x;
      float luma = m.kr * R[i] + m.kg * G[i] + m.kb * B[i];
      Y[x] = to_code(m.y_offset + m.y_scale * luma);
      if (mono) continue;
      std::size_t c = static_cast<std::size_t>(y >> sy) * cw + (x >> sx);
      cb_sum[c] += (B[i] - luma) * b_to_cb;
      cr_sum[c] += (R[i] - luma) * r_to_cr;
      ++count[c];
    }
  }
  if (!mono) {
    for (std::size_t c = 0; c < cb_sum.size(); ++c) {
      frame.plane(1)[c] = to_code(128.f + m.c_scale * cb_sum[c] / count[c]);
      frame.plane(2)[c] = to_code(128.f + m.c_scale * cr_sum[c] / count[c]);
    }
  }
  return frame;
}

}  // namespace idef
