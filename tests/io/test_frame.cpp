#include "io/frame.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>

using idef::ChromaLayout;
using idef::ColourSpec;
using idef::VideoFrame;

namespace {

const ChromaLayout kLayouts[] = {ChromaLayout::Mono, ChromaLayout::C420, ChromaLayout::C422, ChromaLayout::C444};
const ColourSpec kSpecs[] = {
    {ColourSpec::Matrix::Bt601, ColourSpec::Range::Limited},
    {ColourSpec::Matrix::Bt601, ColourSpec::Range::Full},
    {ColourSpec::Matrix::Bt709, ColourSpec::Range::Limited},
    {ColourSpec::Matrix::Bt709, ColourSpec::Range::Full},
};

// Every code value 0..255 in every plane, most triplets outside the RGB gamut: the
// hardest input for an exact round trip.
VideoFrame random_frame(int w, int h, ChromaLayout layout, unsigned seed) {
  VideoFrame f(w, h, layout);
  std::mt19937 rng(seed);
  for (int p = 0; p < f.plane_count(); ++p)
    for (std::size_t i = 0; i < f.plane_size(p); ++i) f.plane(p)[i] = static_cast<std::uint8_t>(rng() & 255);
  return f;
}

VideoFrame solid(ChromaLayout layout, int y, int u, int v) {
  VideoFrame f(4, 4, layout);
  for (std::size_t i = 0; i < f.plane_size(0); ++i) f.plane(0)[i] = static_cast<std::uint8_t>(y);
  for (int p = 1; p < f.plane_count(); ++p)
    for (std::size_t i = 0; i < f.plane_size(p); ++i) f.plane(p)[i] = static_cast<std::uint8_t>(p == 1 ? u : v);
  return f;
}

}  // namespace

TEST(FrameLayout, PlaneSizesRoundChromaUp) {
  VideoFrame f420(5, 3, ChromaLayout::C420);
  EXPECT_EQ(f420.plane_width(1), 3);
  EXPECT_EQ(f420.plane_height(1), 2);
  EXPECT_EQ(f420.byte_size(), 15u + 2 * 6u);
  VideoFrame f422(5, 3, ChromaLayout::C422);
  EXPECT_EQ(f422.plane_width(2), 3);
  EXPECT_EQ(f422.plane_height(2), 3);
  VideoFrame mono(5, 3, ChromaLayout::Mono);
  EXPECT_EQ(mono.plane_count(), 1);
  EXPECT_EQ(mono.byte_size(), 15u);
}

TEST(FrameFloat, RoundTripIsBitExactForEveryLayoutAndSpec) {
  for (auto layout : kLayouts)
    for (const auto& spec : kSpecs) {
      // Odd size: partial chroma blocks at the right and bottom edges.
      VideoFrame in = random_frame(17, 11, layout, 7);
      VideoFrame out = idef::from_rgb_float(idef::to_rgb_float(in, spec), layout, spec);
      EXPECT_TRUE(out == in) << idef::to_string(layout) << " matrix " << int(spec.matrix) << " range "
                             << int(spec.range);
    }
}

TEST(FrameFloat, ChangingOnePixelChangesOnlyItsSamples) {
  VideoFrame in = random_frame(8, 8, ChromaLayout::C420, 3);
  ColourSpec spec;
  auto rgb = idef::to_rgb_float(in, spec);
  const int x = 5, y = 2;
  for (int c = 0; c < 3; ++c) rgb.channel(c)[y * 8 + x] += 0.2f;
  VideoFrame out = idef::from_rgb_float(rgb, ChromaLayout::C420, spec);
  int changed_luma = 0, changed_chroma = 0;
  for (std::size_t i = 0; i < out.plane_size(0); ++i) changed_luma += out.plane(0)[i] != in.plane(0)[i];
  for (int p = 1; p < 3; ++p)
    for (std::size_t i = 0; i < out.plane_size(p); ++i) {
      bool differs = out.plane(p)[i] != in.plane(p)[i];
      changed_chroma += differs;
      if (differs) EXPECT_EQ(i, static_cast<std::size_t>((y / 2) * 4 + x / 2));
    }
  EXPECT_EQ(changed_luma, 1);
  EXPECT_EQ(out.plane(0)[y * 8 + x], in.plane(0)[y * 8 + x] + 44);  // 0.2 * 219 = 43.8
  EXPECT_LE(changed_chroma, 2);
}

// The streams' fast path against the float round trip it replaces: a change of the 8-bit
// view added to the YUV samples gives the same codes as adding it to the exact float
// frame and converting the whole frame back, within one code (float rounding at a tie), and
// outside the changed pixels' chroma blocks every sample keeps its bytes.
TEST(FrameFloat, AddingAViewChangeMatchesTheFloatRoundTrip) {
  for (auto layout : kLayouts)
    for (const auto& spec : kSpecs) {
      const int w = 23, h = 13;  // odd: partial chroma blocks
      const VideoFrame in = random_frame(w, h, layout, 5);
      idef::Rgb8 view;
      idef::to_rgb8_view(in, spec, view);
      idef::RgbFloatImage exact = idef::to_rgb_float(in, spec);
      for (std::size_t i = 0; i < std::size_t(w) * h; ++i)  // the view is the float path's, rounded
        ASSERT_EQ(view.pixels[i * 3 + 1], idef::rgb8_of(exact.channel(1)[i]));
      // A capped, clamped change inside the box [4, 16] x [3, 10], as the perturber's paste makes.
      idef::Rgb8 changed = view;
      std::mt19937 rng(9);
      for (int y = 3; y <= 10; ++y)
        for (int x = 4; x <= 16; ++x)
          for (int c = 0; c < 3; ++c) {
            std::uint8_t& v = changed.pixels[(std::size_t(y) * w + x) * 3 + c];
            v = static_cast<std::uint8_t>(std::clamp(int(v) + int(rng() % 13) - 6, 0, 255));
          }
      for (int c = 0; c < 3; ++c)
        for (std::size_t i = 0; i < std::size_t(w) * h; ++i)
          exact.channel(c)[i] += (int(changed.pixels[i * 3 + c]) - int(view.pixels[i * 3 + c])) / 255.f;
      const VideoFrame reference = idef::from_rgb_float(exact, layout, spec);
      VideoFrame fast = in;
      idef::add_rgb8_change(fast, spec, view, changed, 4, 3, 16, 10);
      int worst = 0, differ = 0, outside = 0;
      const int sx = layout == ChromaLayout::C420 || layout == ChromaLayout::C422 ? 1 : 0;
      const int sy = layout == ChromaLayout::C420 ? 1 : 0;
      for (int p = 0; p < fast.plane_count(); ++p)
        for (int y = 0; y < fast.plane_height(p); ++y)
          for (int x = 0; x < fast.plane_width(p); ++x) {
            const std::size_t k = std::size_t(y) * fast.stride(p) + x;
            worst = std::max(worst, std::abs(fast.plane(p)[k] - reference.plane(p)[k]));
            differ += fast.plane(p)[k] != reference.plane(p)[k];
            // Luma outside the box, chroma outside its blocks: untouched.
            const int px = p == 0 ? x : x << sx, py = p == 0 ? y : y << sy;
            const int bx = p == 0 ? 4 : (4 >> sx) << sx, by = p == 0 ? 3 : (3 >> sy) << sy;
            if (px < bx || px > 16 || py < by || py > 10) outside += fast.plane(p)[k] != in.plane(p)[k];
          }
      const std::string what = std::string(idef::to_string(layout)) + " matrix " + std::to_string(int(spec.matrix)) +
                               " range " + std::to_string(int(spec.range));
      EXPECT_LE(worst, 1) << what;
      EXPECT_LE(differ, 3) << what;  // of ~300 samples: ties only
      EXPECT_EQ(outside, 0) << what;
    }
}

// Pure red and white, the textbook codes: catches a wrong matrix or range.
TEST(FrameRgb, KnownColoursUseTheRightMatrixAndRange) {
  struct Case {
    ColourSpec spec;
    int y, u, v;
  } cases[] = {
      {{ColourSpec::Matrix::Bt601, ColourSpec::Range::Limited}, 81, 90, 240},
      {{ColourSpec::Matrix::Bt709, ColourSpec::Range::Limited}, 63, 102, 240},
      {{ColourSpec::Matrix::Bt601, ColourSpec::Range::Full}, 76, 85, 255},
      {{ColourSpec::Matrix::Bt709, ColourSpec::Range::Full}, 54, 99, 255},
  };
  for (const auto& c : cases) {
    idef::Rgb8 red(4, 4);
    for (std::size_t i = 0; i < red.pixels.size(); i += 3) red.pixels[i] = 255;
    VideoFrame via_sws = idef::from_rgb24(red, ChromaLayout::C444, c.spec);
    idef::RgbFloatImage red_f(4, 4);
    std::fill(red_f.channel(0), red_f.channel(0) + 16, 1.f);
    VideoFrame via_float = idef::from_rgb_float(red_f, ChromaLayout::C444, c.spec);
    for (const VideoFrame* f : {&via_sws, &via_float}) {
      EXPECT_NEAR(f->plane(0)[5], c.y, 1);
      EXPECT_NEAR(f->plane(1)[5], c.u, 1);
      EXPECT_NEAR(f->plane(2)[5], c.v, 1);
    }
    // And back: red again, within a code.
    auto rgb = idef::to_rgb24(via_sws, c.spec);
    EXPECT_NEAR(rgb.pixels[15], 255, 1);
    EXPECT_NEAR(rgb.pixels[16], 0, 1);
    EXPECT_NEAR(rgb.pixels[17], 0, 1);
  }
  // Limited-range white and black are 235 and 16; full range 255 and 0.
  ColourSpec limited, full{ColourSpec::Matrix::Bt601, ColourSpec::Range::Full};
  for (auto layout : kLayouts) {
    EXPECT_EQ(idef::to_rgb24(solid(layout, 235, 128, 128), limited).pixels[0], 255) << idef::to_string(layout);
    EXPECT_EQ(idef::to_rgb24(solid(layout, 16, 128, 128), limited).pixels[0], 0) << idef::to_string(layout);
    EXPECT_EQ(idef::to_rgb24(solid(layout, 16, 128, 128), full).pixels[0], 16) << idef::to_string(layout);
    EXPECT_EQ(idef::to_rgb24(solid(layout, 235, 128, 128), full).pixels[0], 235) << idef::to_string(layout);
    EXPECT_NEAR(idef::to_rgb_float(solid(layout, 235, 128, 128), limited).data[0], 1.f, 1e-6);
  }
}

// The 8-bit path cannot be exact for arbitrary YUV (8-bit RGB holds fewer colours), but
// YUV that came from 8-bit RGB goes through unchanged for 4:4:4.
TEST(FrameRgb, Rgb24RoundTripOf444FromRgbIsExact) {
  std::mt19937 rng(11);
  idef::Rgb8 rgb(16, 16);
  for (auto& b : rgb.pixels) b = static_cast<std::uint8_t>(rng() & 255);
  for (const auto& spec : kSpecs) {
    VideoFrame yuv = idef::from_rgb24(rgb, ChromaLayout::C444, spec);
    VideoFrame again = idef::from_rgb24(idef::to_rgb24(yuv, spec), ChromaLayout::C444, spec);
    int max_diff = 0;
    for (int p = 0; p < 3; ++p)
      for (std::size_t i = 0; i < yuv.plane_size(p); ++i)
        max_diff = std::max(max_diff, std::abs(yuv.plane(p)[i] - again.plane(p)[i]));
    // Limited range squeezes 256 codes into 220/225, so full range can be off by one.
    EXPECT_LE(max_diff, 1) << "range " << int(spec.range);
  }
}

// An odd-sized subsampled frame decodes by its chroma blocks: each pixel from its own luma
// and its block's chroma sample, as the float view does (within a level of rounding).
// libswscale alone mapped a third of a random frame's values to a neighbouring block's
// chroma at such sizes. Samples within limited range: beyond it libswscale's fixed point
// overflows at any size.
TEST(FrameRgb, OddSizedSubsampledFramesDecodeByTheirChromaBlocks) {
  const ColourSpec spec{ColourSpec::Matrix::Bt601, ColourSpec::Range::Limited};
  for (ChromaLayout layout : {ChromaLayout::C420, ChromaLayout::C422}) {
    VideoFrame odd = random_frame(33, 31, layout, 7);
    for (int p = 0; p < odd.plane_count(); ++p)
      for (std::size_t i = 0; i < odd.plane_size(p); ++i)
        odd.plane(p)[i] = static_cast<std::uint8_t>(16 + odd.plane(p)[i] * (p == 0 ? 219 : 224) / 255);
    const idef::Rgb8 decoded = to_rgb24(odd, spec);
    idef::Rgb8 view;
    to_rgb8_view(odd, spec, view);
    int worst = 0;
    for (std::size_t i = 0; i < decoded.pixels.size(); ++i)
      worst = std::max(worst, std::abs(int(decoded.pixels[i]) - int(view.pixels[i])));
    EXPECT_LE(worst, 1) << to_string(layout);
  }
}
