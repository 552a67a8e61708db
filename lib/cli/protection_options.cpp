#include "cli/protection_options.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/progress.h"
#include "core/build_config.h"
#include "core/error.h"
#include "defence/photo_batch.h"

namespace fs = std::filesystem;

namespace idef::cli {

namespace {

VideoCodec video_codec(const std::string& name) {
  return name == "ffv1" ? VideoCodec::Ffv1 : name == "h264-lossless" ? VideoCodec::H264Lossless : VideoCodec::H264;
}

}  // namespace

void add_run_options(Command& cmd, ProtectionRunSettings& run, RunOptions& o) {
  cmd.positional("INPUT", &run.inputs, "images, folders of images (recursive), video files, or - for standard "
                                       "input (an image, a y4m stream, or raw rgb24 with --size)")
      .option("output", &run.output_dir, "DIR", "write outputs here, mirroring the input tree (default: beside each "
                                               "input as NAME.protected.EXT)",
              ValueKind::Directory, 'o')
      .flag("in-place", &run.in_place, "replace each input (atomically, keeping its mode and owner, through "
                                       "symbolic links) instead of writing a new file; each folder is locked "
                                       "and what was protected is recorded in its .id-poison.done")
      .flag("skip-existing", &run.skip_existing, "leave out inputs whose output already exists (with --in-place: "
                                                 "files an earlier run protected, unchanged since)")
      .option("shard", &o.shard, "K/N", "process only the K-th of N stable parts of the inputs (split an "
                                        "archive across machines or a job array)")
      .flag("push-landmarks", &run.push_landmarks, "also move each face's dlib landmarks, within the same "
                                                   "cap, so that a reenactment forger who aligns frames by them "
                                                   "learns turned faces (photos and video; not --aligned)")
      .flag("aligned", &run.aligned, "inputs are aligned face crops: resize to the model's size and back, no "
                                     "detection")
      .option("feather", &run.feather, "F", "soft edge of each face's mask, as a fraction of the crop side")
      .range(0, 1)
      .option("upsample", &run.upsample, "N", "face detector upsampling (finds smaller faces, slower)")
      .range(0, 4)
      .option("detect-scale", &run.detect_scale, "S", "scale photos and frames by S for face detection only "
                                                       "(landmarks and protection stay at full size): 0.5 finds "
                                                       "faces from about 160 px on, with a quarter of the "
                                                       "detector's work; 1 finds them from about 80 px")
      .range(0.05, 1)
      .option("landmark-model", &run.landmark_model, "FILE", "dlib 68-point landmark model (default: Debian's "
                                                             "libdlib-data file)",
              ValueKind::File)
      .option("jobs", &run.jobs, "N", "protect N inputs at a time, each job with its own model and face detector "
                                      "(one network thread per job unless --threads says otherwise)")
      .range(1, 256)
      .option("detect-every", &run.detect_every, "N", "video: detect faces on every N-th frame and re-fit their "
                                                      "landmarks in between (1: detect on every frame, the "
                                                      "default with --push-landmarks); on "
                                                      "frames of 480 rows or more, two detections in three "
                                                      "scan at half the detection scale and keep tracking the "
                                                      "faces too small for it")
      .range(1, 1e6)
      .choice("no-face", &o.no_face, {"fail", "copy", "skip"},
              "an input in which no face is found: fail (no output, exit 1), copy (written unchanged; in place: "
              "left as it is) or skip (no output); copy and skip warn and count it in the summary. Frames sent "
              "to standard output pass unchanged whatever the choice")
      .option("size", &o.size, "WxH", "standard input is raw rgb24 frames of this size (output: the same)")
      .option("rate", &o.rate, "FPS", "frame rate of raw rgb24 input (25, 29.97 or 30000/1001)")
      .choice("video-codec", &o.video_codec, {"h264", "h264-lossless", "ffv1"},
              "codec of video file outputs: H.264 at --crf, lossless H.264, or FFV1 (lossless; .mkv, .avi)")
      .option("crf", &run.video.crf, "N", "H.264 quality of video file outputs (lower keeps more of the perturbation)")
      .range(0, 51)
      .option("jpeg-quality", &run.jpeg_quality, "Q", "quality of JPEG outputs")
      .range(1, 100)
      .flag("strip-metadata", &run.strip_metadata, "drop EXIF, XMP and IPTC from outputs")
      .option("max-pixels", &o.max_pixels, "N", "refuse images larger than this (decompression bombs)")
      .range(1, 1e13)
      .option("report", &run.report, "FILE", "write the largest change |x' - x| of every photo and video frame "
                                             "to this CSV file (input, frame, faces, in 8-bit levels and on the "
                                             "[-1,1] scale), a line as each is done",
              ValueKind::File);
}

void finish_run_options(const Command& cmd, const RunOptions& o, ProtectionRunSettings& s) {
  parse_shard(o.shard, s.shard_index, s.shard_count);
  if (!o.size.empty()) {
    s.raw_input = true;
    parse_frame_size(o.size, s.raw_format.width, s.raw_format.height);
    s.raw_format.frame_rate = parse_frame_rate(o.rate);
  } else if (cmd.given("rate")) {
    throw UsageError("--rate is for raw rgb24 input, with --size");
  }
  s.video.codec = video_codec(o.video_codec);
  s.no_face = no_face_policy(o.no_face);
  s.max_pixels = static_cast<std::uint64_t>(o.max_pixels);
  s.threads_given = cmd.given("threads");
  // The push is chosen for the box the forger's detector finds in each frame, not a tracked one.
  if (s.push_landmarks && !cmd.given("detect-every")) s.detect_every = 1;
  if (s.inputs == std::vector<std::string>{"-"} && cmd.common().progress == "-")
    throw UsageError("--progress -: standard output carries the image");
}

std::string shipped_model(const std::string& file) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  for (const fs::path& candidate : {self.parent_path() / "../share/initiative-defense/models" / file,
                                    self.parent_path() / "../models" / file, fs::path(ID_MODEL_DIR) / file})
    if (fs::exists(candidate, ec)) return fs::weakly_canonical(candidate).string();
  return "";
}

int run_protection_command(const Command& cmd, const ProtectionRunSettings& s) {
  Log log(cmd.program(), cmd.common().quiet);
  std::unique_ptr<Progress> progress;
  ProtectionRunEvents events;
  events.info = [&](const std::string& m) { log.info(m); };
  events.warn = [&](const std::string& m) { log.warn(m); };
  events.error = [&](const std::string& m) { log.error(m); };
  events.planned = [&](std::size_t inputs) {
    progress = std::make_unique<Progress>(cmd.common(), "protect", static_cast<std::int64_t>(inputs));
  };
  events.progress = [&](std::size_t done, int frames) {
    if (frames < 0) progress->update(static_cast<std::int64_t>(done));
    else progress->update(static_cast<std::int64_t>(done), {{"frames", std::to_string(frames)}});
  };
  ProtectionRunReport report = run_protection(s, torch::Device(cmd.common().device), events);
  if (progress) progress->finish();
  if (s.stages.size() > 1) {
    int levels = 0;
    for (const InputResult& r : report.results) levels = std::max(levels, r.max_change);
    char line[160];
    std::snprintf(line, sizeof line, "the protections together changed a pixel by at most %d levels of 255 "
                  "(%.4f on the [-1,1] scale)", levels, levels / 127.5);
    log.info(line);
  }
  if (report.profile.photos > 0) log.info(report.profile.summary());
  const std::string summary = report.summary(!s.aligned);
  if (report.failed()) log.error(summary);
  else log.info(summary);
  return report.failed() ? 1 : 0;
}

}  // namespace idef::cli
