// id-poison's run below its command line: the plan of (input, output) pairs, a pool of
// workers each with its own models, and one result per input. Whatever one input throws is
// that input's failure and the batch goes on; only a reader closing standard output early
// (BrokenPipe) stops the run. See docs/batch-safety.md for what the plan guarantees.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "defence/protection.h"
#include "io/raw_video.h"
#include "io/video_file.h"

namespace idef {

// What becomes of an input in which no face is found (docs/protecting.md, "No face").
enum class NoFacePolicy {
  fail,  // that input fails: nothing written (frames sent to standard output have passed)
  copy,  // written unchanged (in place: left as it is) with a warning; not a failure
  skip,  // nothing written, a warning; not a failure
};
NoFacePolicy no_face_policy(const std::string& name);  // "fail", "copy", "skip"; else UsageError

// One protection of a run: a method and the model file it needs.
struct ProtectionStage {
  ProtectionSettings protection;
  std::string model;   // pg: the generator's file
  std::string target;  // pgd, ifgsm, fgsm: the attacked editor's file
  // pg: the task the generator must protect against ("attr" or "reenact"; empty: either),
  // and the option that named its file, for the error that refuses another.
  std::string task, model_option = "--model";
};

struct ProtectionRunSettings {
  std::vector<std::string> inputs;  // images, folders, video files, or "-" alone
  // Applied one after another to each face, each to the previous one's output (id-poison
  // has one, id-joint two), with the same faces.
  std::vector<ProtectionStage> stages{1};
  // Cap of the whole |x' − x| on the [-1, 1] scale (unset: the sum of the stages' τ).
  std::optional<double> max_tau;
  // After the stages, push each face's landmarks within the same cap (against reenactment
  // forgers that align by dlib's landmarks; defence/landmark_push.h).
  bool push_landmarks = false;
  std::string report;  // a CSV file: ‖x' − x‖∞ of every photo and video frame ("": none)
  double feather = 0.1;
  // Where outputs go (photo_batch's plan).
  std::string output_dir;
  bool in_place = false, skip_existing = false;
  int shard_index = 1, shard_count = 1;
  // Faces.
  bool aligned = false;  // inputs are aligned crops: no detection
  int upsample = 0;
  double detect_scale = 1.0;  // FaceDetectorOptions::scale
  std::string landmark_model;  // empty: Debian's libdlib-data file
  // Files and streams.
  std::uint64_t max_pixels = 100'000'000;
  int jpeg_quality = 95;
  bool strip_metadata = false;
  bool raw_input = false;  // "-" is raw rgb24 of raw_format
  RawVideoFormat raw_format;
  // A tracked face is re-fitted on every frame; detection (tens of ms on a 720p frame) only
  // finds faces that enter while one is tracked, within a third of a second at 30 fps.
  int detect_every = 10;
  NoFacePolicy no_face = NoFacePolicy::fail;
  VideoWriterOptions video;
  // Work.
  int jobs = 1;
  bool threads_given = false;  // --threads was set: jobs keep the thread count
};

struct InputResult {
  std::string input, output;
  bool ok = false;        // protected, or passed under --no-face copy/skip
  bool no_face = false;   // no face was found in it
  std::string error;  // why not, naming the input
  std::size_t faces = 0, frames = 0;
  int max_change = 0;  // the largest ‖x' − x‖∞ of a photo or frame, 8-bit levels
};

// Where the time of a run's photos went, summed over them (streams report their own).
struct PhotoProfile {
  double models_seconds = 0;  // loading the models and the face detector, once a worker
  int photos = 0;             // photos that went through the networks
  double decode = 0, detect = 0, networks = 0, paste = 0, encode = 0;  // seconds, summed
  // "models and detector loaded in 0.21 s; per photo: decode 35 ms, ..."
  std::string summary() const;
};

struct ProtectionRunReport {
  std::vector<InputResult> results;  // one per planned input, in plan order
  PhotoProfile profile;
  std::vector<std::string> missing;  // inputs that do not exist
  std::size_t skipped_existing = 0, other_shards = 0;
  std::size_t failed() const;
  // "protected 3 of 5 inputs (5 faces), 1 without a face, 1 failed"
  std::string summary(bool count_faces) const;
};

struct ProtectionRunEvents {
  std::function<void(const std::string&)> info, warn, error;
  std::function<void(std::size_t inputs_done, int frames)> progress;  // frames < 0: an input finished
  std::function<void(std::size_t inputs)> planned;                    // once, before any input
};

// Refuses bad combinations (UsageError) and bad models before any output is written.
ProtectionRunReport run_protection(const ProtectionRunSettings& settings, const torch::Device& device,
                                   const ProtectionRunEvents& events);

// The worker pool under run_protection: job(i, worker) for i < count on `workers` threads
// (one: this thread), worker < workers. A std::exception (or anything else) from a job is its
// failure: done(i, message) gets it, with the job's name before it unless it is an
// InputError or OutputError, which name their file themselves; done(i, "") after a success. done calls are
// serialised. BrokenPipe stops the pool (no new jobs) and is rethrown after every thread ends.
void run_jobs(const std::vector<std::string>& names, std::size_t workers,
              const std::function<void(std::size_t job, std::size_t worker)>& job,
              const std::function<void(std::size_t job, const std::string& error)>& done);

}  // namespace idef
