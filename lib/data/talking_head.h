// One person's video as training data for a reenactment model (docs/reenactment.md): per
// frame, the face aligned to a size×size crop (the same similarity crop the attribute tools
// use), the landmark sketch z of that crop and its face region m(x). Frames are kept as
// 8 bits (a 1500-frame video at 128 px is ~100 MB) and turned into float batches on demand.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "face/detector.h"
#include "face/face.h"
#include "io/rgb8.h"
#include "io/y4m.h"  // Rational

namespace idef {

struct TalkingHeadOptions {
  int size = 128;              // side of the aligned crop
  std::int64_t max_frames = 0; // stop after this many frames with a face (0: all)
  FaceDetectorOptions detector;
};

// A frame's face: the aligned crop and its landmarks in crop pixels.
struct AlignedFace {
  Rgb8 crop;
  Landmarks landmarks;
};

class TalkingHead {
 public:
  TalkingHead() = default;
  explicit TalkingHead(int size);

  // Reads a video file (anything FFmpeg opens, y4m included) or a folder of images (in name
  // order). Frames without a face are listed in skipped(), never fatal; a video in which no
  // frame has a face throws InputError naming it. `progress` gets the frames read so far.
  static TalkingHead load(const std::string& input, const TalkingHeadOptions& options,
                          const std::function<void(std::int64_t)>& progress = {});

  void add(const AlignedFace& face, std::int64_t frame_number);
  void skip(std::int64_t frame_number) { skipped_.push_back(frame_number); }

  int size() const { return size_; }
  // The video's average frame rate (25/1 for a folder of frames or a video that does not say).
  Rational frame_rate() const { return frame_rate_; }
  std::int64_t count() const { return static_cast<std::int64_t>(frame_numbers_.size()); }
  // The source frame (0-based) of each row, and the frames that had no face.
  const std::vector<std::int64_t>& frame_numbers() const { return frame_numbers_; }
  const std::vector<std::int64_t>& skipped() const { return skipped_; }

  // Batches of the given rows (a 1-D int64 tensor), float on the CPU:
  // frames x in [-1, 1] [B, 3, S, S]; sketches z in [-1, 1] (white strokes on black, the
  // same in all three channels) [B, 3, S, S]; the face mask m(x) in [outside, 1] [B, 1, S, S].
  torch::Tensor frames(const torch::Tensor& rows) const;
  torch::Tensor sketches(const torch::Tensor& rows) const;
  torch::Tensor masks(const torch::Tensor& rows, float outside = 0.01f) const;
  // Rows [first, first + n) as a tensor of row numbers.
  static torch::Tensor range(std::int64_t first, std::int64_t n);

 private:
  int size_ = 0;
  Rational frame_rate_{25, 1};
  std::vector<Rgb8> crops_;
  std::vector<std::vector<std::uint8_t>> sketches_, faces_;  // coverage · 255
  std::vector<std::int64_t> frame_numbers_, skipped_;
};

// The face the detector is surest of in `frame`, aligned: false when it finds none. Not the
// largest: on the astronaut portrait the badge on her suit scores 0.01-0.09 with a box as
// large as her face's (score 0.7-1.4) and, taken by size, made a tenth of the crops.
bool align_best_face(FaceDetector& detector, const Rgb8& frame, int size, AlignedFace& out);

}  // namespace idef
