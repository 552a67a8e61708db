// Shared by the id-poison and id-joint CLI tests: a small untrained perturbation generator,
// the padded talking-head video, and pixel comparisons.
#pragma once
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "defence/perturbation_model.h"
#include "io/y4m.h"
#include "io/rgb8.h"
#include "pixel_diff.h"
#include "tool_test.h"

namespace idef::test {

// An untrained generator: its output is small, so the tests use ε = 1 with τ = 0.05 as the cap.
inline std::string write_pg_model(const ScratchDir& dir) {
  std::string path = dir / "pg.idm";
  save_perturbation_model(path, small_generator("unet64", 4, 64, 5));
  return path;
}

// τ = 0.05 is round(0.05 · 127.5) = 6 in 8-bit units.
inline const char* kStrong = " --epsilon 1 --tau 0.05 --threads 1 ";
constexpr int kStrongCap = 6;

// id-poison's arguments for aligned 64 px crops: no face detector, so it is fast and every
// file is protected.
inline std::string poison_aligned(const std::string& model, const std::string& args) {
  return "--aligned --model " + q(model) + kStrong + args;
}

// The stream tests' frames: id-synth's talking head (128 px, which dlib finds) padded onto a
// wider grey frame, so that part of every frame is far from the face.
constexpr int kWidth = 224, kHeight = 160, kFrames = 12;
// The face (128×128) sits at x 0..127, y 16..143; columns from here on are background.
constexpr int kFarColumn = 176;

// A y4m file of the padded talking head in the given ffmpeg pixel format.
inline std::string make_talking_y4m(const ScratchDir& dir, const std::string& pix_fmt) {
  std::string talk = dir / "talk.y4m", out = dir / ("in-" + pix_fmt + ".y4m");
  if (!std::filesystem::exists(talk)) {
    auto r = run_tool("id-synth", "video --frames " + std::to_string(kFrames) + " --size 128 --quiet " + q(talk));
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  auto r = run_command("ffmpeg -v error -i " + q(talk) + " -vf pad=" + std::to_string(kWidth) + ":" +
                       std::to_string(kHeight) + ":0:16:color=gray -pix_fmt " + pix_fmt + " -f yuv4mpegpipe " + q(out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out;
}

inline std::vector<idef::VideoFrame> read_y4m(const std::string& path, idef::Y4mHeader* header = nullptr) {
  idef::Y4mReader in(path);
  if (header) *header = in.header();
  std::vector<idef::VideoFrame> frames;
  idef::VideoFrame f;
  while (in.read(f)) frames.push_back(f);
  return frames;
}

// Raw rgb24 bytes as kWidth×kHeight frames.
inline std::vector<idef::Rgb8> rgb24_frames(const std::string& bytes) {
  const std::size_t frame_bytes = std::size_t(kWidth) * kHeight * 3;
  EXPECT_EQ(bytes.size() % frame_bytes, 0u);
  std::vector<idef::Rgb8> frames;
  for (std::size_t at = 0; at + frame_bytes <= bytes.size(); at += frame_bytes) {
    idef::Rgb8 f(kWidth, kHeight);
    std::copy(bytes.begin() + at, bytes.begin() + at + frame_bytes, f.pixels.begin());
    frames.push_back(f);
  }
  return frames;
}

// ffmpeg's own decoding of a y4m file to rgb24 frames.
inline std::vector<idef::Rgb8> ffmpeg_rgb24(const std::string& y4m, const ScratchDir& dir) {
  std::string raw = dir / (std::filesystem::path(y4m).stem().string() + ".rgb");
  auto r = run_command("ffmpeg -v error -y -f yuv4mpegpipe -i " + q(y4m) + " -f rawvideo -pix_fmt rgb24 " + q(raw));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return rgb24_frames(idef::read_all(raw));
}

}  // namespace idef::test
