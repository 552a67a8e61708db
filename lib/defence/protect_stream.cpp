#include "defence/protect_stream.h"

#include "defence/landmark_push.h"

#include "core/error.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>

#include "core/two_stage.h"
#include "core/stopwatch.h"
#include "face/align.h"
#include "io/image.h"

namespace idef {

namespace {

Point2 centroid(const Landmarks& landmarks) {
  Point2 c;
  for (const Point2& p : landmarks) c.x += p.x, c.y += p.y;
  return {c.x / kLandmarkCount, c.y / kLandmarkCount};
}

}  // namespace

std::string StreamStats::profile() const {
  char line[256];
  const double n = frames > 0 ? frames / 1000.0 : 1.0;
  std::snprintf(line, sizeof line,
                "per frame: YUV to RGB %.2f ms, detection %.2f ms (on %d frames), landmarks %.2f ms, networks %.2f ms, "
                "paste %.2f ms, RGB to YUV %.2f ms",
                convert_seconds / n, detect_seconds / n, detections, landmark_seconds / n, network_seconds / n,
                paste_seconds / n, write_back_seconds / n);
  return line;
}

FaceTracker::FaceTracker(FaceDetector& detector, int detect_every, bool exact)
    : detector_(detector), detect_every_(detect_every), exact_(exact) {
  if (detect_every < 1) throw std::invalid_argument("FaceTracker: detect_every must be at least 1");
}

void FaceTracker::refit(Face& face, const Rgb8& frame) {
  // The predictor reads only a few hundred pixels near the box, straight from the frame.
  const Face refit = detector_.locate_landmarks(frame, face.box);
  // The box moves with the face, so the next re-fit starts where the face is now.
  Point2 before = centroid(face.landmarks), after = centroid(refit.landmarks);
  double dx = after.x - before.x, dy = after.y - before.y;
  face.box = {face.box.left + dx, face.box.top + dy, face.box.right + dx, face.box.bottom + dy};
  face.landmarks = refit.landmarks;
}

std::vector<Face> FaceTracker::detect(const Rgb8& frame) {
  const double scale = detector_.scale(), coarse = scale / 2;
  const bool full = detections_++ % 3 == 0 || exact_ || frame.height * coarse < 240;
  if (full) return detector_.detect(frame);
  ++coarse_detections_;
  std::vector<Face> found = detector_.detect(frame, coarse);
  // A tracked face too small for this scan stays, re-fitted, unless a face found here covers it.
  const double unseen = detector_.smallest_face(coarse);
  const std::size_t new_faces = found.size();
  for (Face face : faces_) {
    if (face.box.width() >= unseen) continue;
    const Point2 centre{(face.box.left + face.box.right) / 2, (face.box.top + face.box.bottom) / 2};
    bool covered = false;
    for (std::size_t k = 0; k < new_faces && !covered; ++k) covered = found[k].box.contains(centre);
    if (covered) continue;
    refit(face, frame);
    found.push_back(face);
  }
  return found;
}

const std::vector<Face>& FaceTracker::next(const Rgb8& frame) {
  // While no face is known, every frame is searched: a face that enters (or that the
  // detector missed once) is protected from the first frame it is found on.
  const auto start = Clock::now();
  if (index_++ % detect_every_ == 0 || faces_.empty()) {
    faces_ = detect(frame);
    detect_seconds_ += seconds_since(start);
    return faces_;
  }
  for (Face& face : faces_) refit(face, frame);
  landmark_seconds_ += seconds_since(start);
  return faces_;
}

StreamProtector::StreamProtector(FaceDetector* detector, CropPerturber perturber, ProtectOptions options,
                                 int detect_every)
    : StreamProtector(detector, PerturberChain::single(std::move(perturber), options), detect_every) {}

StreamProtector::StreamProtector(FaceDetector* detector, PerturberChain chain, int detect_every)
    : detector_(detector),
      tracker_(detector ? std::make_unique<FaceTracker>(*detector, detect_every, chain.push_landmarks) : nullptr),
      chain_(timed_chain(std::move(chain), *network_seconds_)) {}

StreamStats StreamProtector::stats() const {
  StreamStats s = stats_;
  s.detections = tracker_ ? tracker_->detections() : 0;
  s.detect_seconds = tracker_ ? tracker_->detect_seconds() : 0;
  s.landmark_seconds = tracker_ ? tracker_->landmark_seconds() : 0;
  s.network_seconds = *network_seconds_;
  s.paste_seconds -= *network_seconds_;  // protect_prepared times both
  return s;
}

void StreamProtector::find_faces(PreparedFrame& prepared) {
  if (!tracker_) return;
  prepared.found = tracker_->next(prepared.rgb);
  for (const Face& face : prepared.found) prepared.faces.push_back(align_face(face.landmarks));
}

PreparedFrame StreamProtector::prepare(Rgb8 frame) {
  PreparedFrame prepared;
  prepared.rgb = std::move(frame);
  find_faces(prepared);
  return prepared;
}

PreparedFrame StreamProtector::prepare(const VideoFrame& frame, const ColourSpec& colour) {
  PreparedFrame prepared;
  {
    std::lock_guard<std::mutex> lock(buffers_->mutex);
    if (!buffers_->spare.empty()) {
      prepared = std::move(buffers_->spare.back());
      buffers_->spare.pop_back();
    }
  }
  const auto start = Clock::now();
  to_rgb8_view(frame, colour, prepared.view);
  prepared.rgb = prepared.view;
  stats_.convert_seconds += seconds_since(start);
  find_faces(prepared);
  return prepared;
}

void StreamProtector::recycle(PreparedFrame& prepared) {
  prepared.faces.clear();
  prepared.found.clear();
  std::lock_guard<std::mutex> lock(buffers_->mutex);
  if (buffers_->spare.size() < std::size_t(lookahead_) + 2) buffers_->spare.push_back(std::move(prepared));
}

void StreamProtector::protect_prepared(PreparedFrame& prepared, int& faces, Change* change, bool push) {
  Rgb8& rgb = prepared.rgb;
  const std::int64_t index = stats_.frames++;
  Change changed;
  const auto start = Clock::now();
  if (!tracker_) {
    faces = 1;
    Rgb8 out = protect_aligned(rgb, chain_);
    changed = {0, 0, rgb.width, rgb.height, max_change(rgb, out)};
    rgb = std::move(out);
  } else {
    faces = static_cast<int>(prepared.faces.size());
    const bool pushing = push && chain_.push_landmarks && faces > 0;
    const Rgb8 original = pushing ? rgb : Rgb8();
    protect_faces_in_place(rgb, prepared.faces, chain_, &changed);
    if (pushing) {
      for (const Face& face : prepared.found)
        push_landmarks(rgb, original, face, detector_->landmark_predictor(), cap_levels(chain_.tau));
      changed = {0, 0, rgb.width, rgb.height, max_change(original, rgb)};
    }
  }
  stats_.paste_seconds += seconds_since(start);
  if (faces > 0) {
    ++stats_.frames_with_faces;
    stats_.faces += faces;
  }
  stats_.max_change = std::max(stats_.max_change, changed.most);
  if (report_) report_(index, faces, changed.most);
  if (change) *change = changed;
}

int StreamProtector::finish(PreparedFrame& prepared) {
  int faces = 0;
  protect_prepared(prepared, faces, nullptr, true);
  return faces;
}

int StreamProtector::protect(Rgb8& frame) {
  PreparedFrame prepared = prepare(std::move(frame));
  const int faces = finish(prepared);
  frame = std::move(prepared.rgb);
  return faces;
}

int StreamProtector::protect(VideoFrame& frame, const ColourSpec& colour) {
  PreparedFrame prepared = prepare(frame, colour);
  return finish(frame, colour, prepared);
}

int StreamProtector::finish(VideoFrame& frame, const ColourSpec& colour, PreparedFrame& prepared) {
  int faces = 0;
  Change touched;
  protect_prepared(prepared, faces, &touched, false);
  struct Recycle {
    StreamProtector& protector;
    PreparedFrame& prepared;
    ~Recycle() { protector.recycle(prepared); }
  } recycle{*this, prepared};
  const bool pushing = chain_.push_landmarks && faces > 0 && detector_;
  if (touched.empty() && !pushing) return faces;
  const auto start = Clock::now();
  const VideoFrame original = pushing ? frame : VideoFrame();
  // x' = x + (protected view − view): the 8-bit perturbation, capped and clamped, added to
  // the frame's YUV samples in the box of changed pixels; every sample outside keeps its bytes.
  if (!touched.empty())
    add_rgb8_change(frame, colour, prepared.view, prepared.rgb, touched.left, touched.top,
                    touched.left + touched.width - 1, touched.top + touched.height - 1);
  // The push goes into the luma as stored, chosen on the frame as a forger decodes it.
  if (pushing)
    for (const Face& face : prepared.found)
      push_landmarks(frame, original, colour, face, detector_->landmark_predictor(), cap_levels(chain_.tau));
  stats_.write_back_seconds += seconds_since(start);
  return faces;
}

namespace {

// A frame in flight between the two stages, with what its container keeps beside it.
struct YuvItem {
  VideoFrame frame;
  std::string params;     // y4m frame parameters
  std::int64_t pts = 0;   // video file timestamp
  PreparedFrame prepared;
};

// The YUV streams' loop: `read` fills a frame (and what its container keeps beside it),
// `write` stores it protected.
StreamStats protect_yuv(StreamProtector& protector, const ColourSpec& colour,
                        const std::function<bool(YuvItem&)>& read, const std::function<void(const YuvItem&)>& write,
                        const FrameCallback& on_frame) {
  int frames = 0;
  run_two_stage<YuvItem>(
      protector.lookahead(),
      [&](YuvItem& item) {
        if (!read(item)) return false;
        item.prepared = protector.prepare(item.frame, colour);
        return true;
      },
      [&](YuvItem& item) {
        protector.finish(item.frame, colour, item.prepared);
        write(item);
        if (on_frame) on_frame(++frames);
      });
  return protector.stats();
}

}  // namespace

void StreamProtector::check_frame_size(const std::string& input, int width, int height) const {
  const std::uint64_t pixels = static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height);
  if (max_pixels_ > 0 && pixels > max_pixels_)
    throw InputError(input, "frames of " + std::to_string(width) + "x" + std::to_string(height) + " are " +
                                std::to_string(pixels) + " pixels, over the limit of " + std::to_string(max_pixels_) +
                                " (--max-pixels)");
}

StreamStats protect_y4m(Y4mReader& in, Y4mWriter& out, StreamProtector& protector, const FrameCallback& on_frame,
                        FacelessOutput faceless) {
  protector.check_frame_size(in.name(), in.header().width, in.header().height);
  StreamStats stats = protect_yuv(
      protector, in.header().colour_spec(), [&](YuvItem& item) { return in.read(item.frame, &item.params); },
      [&](const YuvItem& item) { out.write(item.frame, item.params); }, on_frame);
  if (faceless == FacelessOutput::drop && stats.frames_with_faces == 0) return stats;  // ~Y4mWriter removes it
  out.finish();
  return stats;
}

StreamStats protect_raw_video(RawVideoReader& in, RawVideoWriter& out, StreamProtector& protector,
                              const FrameCallback& on_frame) {
  protector.check_frame_size(in.name(), in.format().width, in.format().height);
  int frames = 0;
  run_two_stage<PreparedFrame>(
      protector.lookahead(),
      [&](PreparedFrame& item) {
        Rgb8 frame;
        if (!in.read(frame)) return false;
        item = protector.prepare(std::move(frame));
        return true;
      },
      [&](PreparedFrame& item) {
        protector.finish(item);
        out.write(item.rgb);
        if (on_frame) on_frame(++frames);
      });
  out.finish();
  return protector.stats();
}

StreamStats protect_video_file(const std::string& input, const std::string& output, StreamProtector& protector,
                               const VideoWriterOptions& options, const FrameCallback& on_frame,
                               FacelessOutput faceless) {
  VideoReader in(input);
  protector.check_frame_size(input, in.info().width, in.info().height);
  VideoWriter out(output, in, options);
  StreamStats stats = protect_yuv(
      protector, in.info().colour, [&](YuvItem& item) { return in.read(item.frame, &item.pts); },
      [&](const YuvItem& item) { out.write(item.frame, item.pts); }, on_frame);
  stats.damaged_frames = in.damaged_frames();
  if (faceless == FacelessOutput::drop && stats.frames_with_faces == 0) return stats;  // ~VideoWriter removes it
  out.finish();
  return stats;
}

bool has_video_extension(const std::string& path) {
  static const std::set<std::string> known{".mp4", ".m4v", ".mkv", ".mov", ".avi", ".webm", ".ts",
                                           ".mts", ".m2ts", ".mpg", ".mpeg", ".flv", ".wmv", ".nut", ".ogv"};
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return known.count(ext) > 0;
}

}  // namespace idef
