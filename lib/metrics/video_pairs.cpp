#include "metrics/video_pairs.h"

#include "core/error.h"
#include "face/align.h"
#include "face/detector.h"
#include "io/video_file.h"

namespace idef {

VideoPair read_video_pair(const std::string& clean, const std::string& protected_video, FaceDetector* detector,
                          const VideoPairOptions& options, const std::function<void(std::int64_t)>& progress) {
  if (options.face_size < 16 || options.frame_step < 1)
    throw std::invalid_argument("read_video_pair: face_size must be at least 16 and frame_step at least 1");
  VideoReader a(clean), b(protected_video);
  if (a.info().width != b.info().width || a.info().height != b.info().height)
    throw InputError(protected_video, "is " + std::to_string(b.info().width) + "x" +
                                          std::to_string(b.info().height) + ", '" + clean + "' is " +
                                          std::to_string(a.info().width) + "x" + std::to_string(a.info().height));
  VideoPair pair;
  Rgb8 fa, fb;
  for (std::int64_t index = 0;; ++index) {
    const bool more_a = a.read_rgb(fa), more_b = b.read_rgb(fb);
    if (more_a != more_b)
      throw InputError(more_a ? protected_video : clean,
                       "ends after " + std::to_string(index) + " frames, the other video goes on");
    if (!more_a) break;
    pair.frames.push_back(score_images(fa, fb));
    const bool room = options.max_faces < 0 || static_cast<std::int64_t>(pair.faces.faces.size()) < options.max_faces;
    if (detector && room && index % options.frame_step == 0) {
      const std::vector<Face> found = detector->detect(fa);
      for (std::size_t k = 0; k < found.size(); ++k) {
        FaceItem item;
        item.name = "frame " + std::to_string(index) + "#" + std::to_string(k);
        item.source = clean;
        item.alignment = align_face(found[k].landmarks);
        item.image = extract_crop(fa, *item.alignment, options.face_size);
        pair.protected_faces.push_back(extract_crop(fb, *item.alignment, options.face_size));
        pair.faces.faces.push_back(std::move(item));
      }
    }
    if (progress) progress(index + 1);
  }
  if (detector && pair.faces.faces.empty())
    throw InputError(clean, "has no face on any of the " + std::to_string((pair.frames.size() + options.frame_step - 1) /
                                                                         options.frame_step) +
                                " frames searched (every " + std::to_string(options.frame_step) + "th)");
  return pair;
}

}  // namespace idef
