// Protection of video, frame by frame: y4m and raw rgb24 streams, and video files.
//
// Faces are detected every few frames; in between, the 68 landmarks are re-fitted inside
// each face's last box, moved along with the face (dlib's shape predictor takes about a
// millisecond given a box, the HOG detector tens of milliseconds on a 720p frame), so the
// perturbation follows the face at a fraction of the cost. With a lookahead, one thread
// reads, converts and finds the faces of the next frames while another protects and writes
// the current one (the output is the same); at most lookahead + 2 frames are held, so
// memory is constant over the length of the stream.
//
// YUV frames are seen through the 8-bit view of io/frame.h's float path, and only the
// change of the block of pixels around the faces is added back to their YUV samples, so
// every pixel away from the faces keeps its exact bytes. The perturbation is capped in
// 8-bit RGB as for photos (|x' − x| ≤ round(τ·127.5)); storing it as 8-bit YUV adds the
// rounding of Y, U and V (up to about 1.6 in RGB for 4:4:4), and 4:2:0/4:2:2 average the
// perturbation's colour over each chroma block.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "defence/protect_photo.h"
#include "face/detector.h"
#include "io/frame.h"
#include "io/raw_video.h"
#include "io/video_file.h"
#include "io/y4m.h"

namespace idef {

// Faces through a sequence of frames: detection on every `detect_every`-th frame (the
// first included) and on every frame while no face is known, landmarks re-fitted in the
// tracked boxes on the others. On large frames (at least 480 rows at the detector's scale)
// two detections in three scan at half the detector's scale, a quarter of the work: they find
// every face from twice the smallest size on, and keep tracking the smaller faces they cannot
// see; the third finds the small ones that are new. `exact`: every detection at the
// detector's own scale (the landmark push needs the boxes a forger's detector finds).
class FaceTracker {
 public:
  FaceTracker(FaceDetector& detector, int detect_every, bool exact = false);
  // The faces of the next frame of the sequence.
  const std::vector<Face>& next(const Rgb8& frame);
  int detections() const { return detections_; }
  int coarse_detections() const { return coarse_detections_; }  // of those, at half scale
  // Seconds spent detecting faces and re-fitting landmarks.
  double detect_seconds() const { return detect_seconds_; }
  double landmark_seconds() const { return landmark_seconds_; }

 private:
  FaceDetector& detector_;
  int detect_every_;
  bool exact_;
  std::int64_t index_ = 0;
  int detections_ = 0, coarse_detections_ = 0;
  double detect_seconds_ = 0, landmark_seconds_ = 0;
  std::vector<Face> faces_;
  void refit(Face& face, const Rgb8& frame);
  std::vector<Face> detect(const Rgb8& frame);
};

struct StreamStats {
  int frames = 0;
  int frames_with_faces = 0;
  int detections = 0;      // frames the face detector ran on
  std::int64_t faces = 0;  // faces protected, summed over the frames
  int max_change = 0;      // the largest ‖x' − x‖∞ of a frame, 8-bit RGB levels (before YUV rounding)
  int damaged_frames = 0;  // input frames the decoder repaired by concealment (video files)
  // Where the time went, seconds summed over the frames (each stage runs on one thread):
  // YUV to RGB, face detection, landmark re-fits, the networks, pasting the perturbation
  // back (warp, cap, rounding), and RGB back to YUV.
  double convert_seconds = 0, detect_seconds = 0, landmark_seconds = 0, network_seconds = 0, paste_seconds = 0,
         write_back_seconds = 0;
  // "per frame: ..." in milliseconds, for logs and benchmarks.
  std::string profile() const;
};

// A frame after the first stage: its RGB view and the faces found in it.
struct PreparedFrame {
  Rgb8 view;  // YUV frames: their 8-bit view, as it was (empty for rgb24 frames)
  Rgb8 rgb;   // what the detector and the perturber see; protected by finish
  std::vector<FaceAlignment> faces;
  std::vector<Face> found;  // the same faces as the tracker found them (box, landmarks)
};

class StreamProtector {
 public:
  // Tracks faces with `detector`; without one (nullptr) every frame is an aligned face crop
  // (protect_aligned). detect_every ≥ 1.
  StreamProtector(FaceDetector* detector, CropPerturber perturber, ProtectOptions options, int detect_every);
  // The same with protections applied one after another (id-joint).
  StreamProtector(FaceDetector* detector, PerturberChain chain, int detect_every);

  // Protects the next frame of the stream in place; returns the number of faces protected.
  int protect(Rgb8& frame);
  int protect(VideoFrame& frame, const ColourSpec& colour);

  // The same in two stages that may run on two threads, each called in frame order:
  // prepare converts the frame and finds its faces, finish protects it with what prepare
  // found (the rgb24 form replaces prepared.rgb with the protected frame).
  PreparedFrame prepare(Rgb8 frame);
  PreparedFrame prepare(const VideoFrame& frame, const ColourSpec& colour);
  int finish(PreparedFrame& prepared);
  // The YUV form takes prepared's buffers back for the frames prepared after it.
  int finish(VideoFrame& frame, const ColourSpec& colour, PreparedFrame& prepared);

  // Frames the stream functions below prepare ahead on a second thread (0: one thread).
  void set_lookahead(int frames) { lookahead_ = frames < 0 ? 0 : frames; }
  int lookahead() const { return lookahead_; }
  // Frames over this many pixels are refused before any is read (0: no limit), as id-poison
  // refuses photos over --max-pixels: a 60-byte y4m header can announce a 32768x32768 frame.
  void set_max_pixels(std::uint64_t pixels) { max_pixels_ = pixels; }
  // Throws InputError naming `input` when a w x h frame is over the limit.
  void check_frame_size(const std::string& input, int width, int height) const;
  // Called after each frame is protected with its index (from 0), its faces and its
  // ‖x' − x‖∞ in 8-bit RGB levels.
  using FrameReport = std::function<void(std::int64_t frame, int faces, int max_change)>;
  void set_frame_report(FrameReport report) { report_ = std::move(report); }

  StreamStats stats() const;

 private:
  // Protects prepared.rgb in place; `change` (optional) gets what changed. `push`: the
  // chain's landmark push too (rgb24 frames; YUV frames get theirs in their samples).
  void protect_prepared(PreparedFrame& prepared, int& faces, Change* change, bool push);
  void find_faces(PreparedFrame& prepared);
  // Keeps a finished frame's buffers for the next prepare (the two may run on two threads),
  // as many as may be in flight: a 720p frame's view is 2.8 MB, which the allocator would
  // hand back zeroed each time.
  void recycle(PreparedFrame& prepared);
  struct Buffers {
    std::mutex mutex;
    std::vector<PreparedFrame> spare;
  };
  std::unique_ptr<Buffers> buffers_ = std::make_unique<Buffers>();

  FaceDetector* detector_ = nullptr;
  std::unique_ptr<FaceTracker> tracker_;
  int lookahead_ = 0;
  std::uint64_t max_pixels_ = 0;
  // Before chain_, whose timed networks add to it; on the heap, so a moved protector's
  // networks still find it.
  std::unique_ptr<double> network_seconds_ = std::make_unique<double>(0.0);
  PerturberChain chain_;
  StreamStats stats_;
  FrameReport report_;
};

// Called after each frame is written, with the number of frames so far.
using FrameCallback = std::function<void(int frames)>;

// Whether a file output in which no face was found still appears: `drop` removes it unseen
// (the destination, e.g. an original protected in place, stays as it was).
enum class FacelessOutput { keep, drop };

// y4m in, y4m out: the header (every tag, in order) and each frame's parameters are kept.
// A damaged frame throws InputError after the frames before it were written.
StreamStats protect_y4m(Y4mReader& in, Y4mWriter& out, StreamProtector& protector,
                        const FrameCallback& on_frame = {}, FacelessOutput faceless = FacelessOutput::keep);
// Raw rgb24 in and out; a partial last frame throws InputError after the whole frames.
StreamStats protect_raw_video(RawVideoReader& in, RawVideoWriter& out, StreamProtector& protector,
                              const FrameCallback& on_frame = {});
// A video file into a new one (VideoWriter: same timestamps and rate, audio copied); the
// output appears only when the whole video was protected.
StreamStats protect_video_file(const std::string& input, const std::string& output, StreamProtector& protector,
                               const VideoWriterOptions& options = {}, const FrameCallback& on_frame = {},
                               FacelessOutput faceless = FacelessOutput::keep);

// Whether a file name looks like a video file FFmpeg reads (by its extension; ".y4m" is
// not one: y4m files go through Y4mReader).
bool has_video_extension(const std::string& path);

}  // namespace idef
