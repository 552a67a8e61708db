// A clean video and its protected version read side by side, for `id-score joint`: how much
// the protection changed each frame, and the faces a forger who edits single frames would
// take from them (docs/scoring.md, "joint").
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "metrics/attr_scoring.h"
#include "metrics/image_pairs.h"

namespace idef {

class FaceDetector;

struct VideoPairOptions {
  int face_size = 64;         // the aligned crops' size (the attribute forgers' scoring size)
  int frame_step = 10;        // faces from every frame_step-th frame (the first included)
  std::int64_t max_faces = -1;  // stop collecting faces after this many (-1: all)
};

struct VideoPair {
  std::vector<ImageScores> frames;    // PSNR, SSIM, L1, L2 of each protected frame against the clean one
  FaceSet faces;                      // the faces of the clean frames ("frame N#k"), aligned and cut
  std::vector<Rgb8> protected_faces;  // the same crops of the protected frames, one per face
};

// One pass over both videos (any FFmpeg-readable file, y4m included). With a detector, faces
// are found in the clean frame and each is cut from both frames with the clean frame's
// alignment, so that the two crops differ by the protection alone; without one (nullptr)
// only the frames are scored. Throws InputError when the videos differ in size or length, or
// when the detector finds no face on any sampled frame.
VideoPair read_video_pair(const std::string& clean, const std::string& protected_video, FaceDetector* detector,
                          const VideoPairOptions& options,
                          const std::function<void(std::int64_t frames)>& progress = nullptr);

}  // namespace idef
