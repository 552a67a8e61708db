// id-poison: protects face photos and videos before they are published. Each face is
// perturbed by a trained generator (or, for comparison, by Ruiz et al.'s PGD against an
// editor, or by noise) so that a forger's manipulation model produces broken forgeries from it.
#include <filesystem>
#include <memory>

#include "cli/command.h"
#include "cli/progress.h"
#include "core/build_config.h"
#include "core/error.h"
#include "defence/photo_batch.h"
#include "defence/protection_run.h"

namespace fs = std::filesystem;
using namespace idef;

namespace {

// The command line binds straight to the library's settings; what needs parsing or
// depends on whether an option was given is finished in run().
struct Options {
  ProtectionRunSettings run;
  std::string shard = "1/1", size, rate = "25", video_codec = "h264", no_face = "fail";
  double epsilon = 0.05, tau = -1;
  std::int64_t max_pixels = 100'000'000, seed = 0;
};

// The help's prose and examples.
void describe(cli::Command& cmd) {
  cmd.description(
         "Detects every face in each photo, aligns it to the model's face crop, computes the perturbation "
         "there and warps it back with a soft-edged mask, adding it at full resolution; the rest of the photo "
         "is left exactly as it was. Outputs keep size, alpha, ICC profile, EXIF and format; JPEG output is "
         "lossy and weakens the protection (use PNG, WebP or a high --jpeg-quality). An input in which no face is "
         "found (a photo, or a video in none of its frames) is nothing protected: by default it fails and "
         "nothing is written for it (--no-face copy writes it unchanged, --no-face skip leaves it out, both "
         "with a warning and without failing); the batch goes on. Videos are protected frame by frame with constant "
         "memory: a YUV4MPEG2 (y4m) stream on standard input gives a y4m stream on standard output with the "
         "same header, tags and frame count; raw rgb24 needs --size (and takes --rate); video files (mp4, mkv, "
         "...) give a new video file with the same timestamps and the audio copied (H.264 at --crf, or "
         "lossless). Faces are detected every --detect-every frames and their landmarks re-fitted in between; "
         "frames without a face pass unchanged, and only the pixels around faces change.")
      .example("id-poison --model pg.idm photo.jpg", "writes photo.protected.jpg beside photo.jpg")
      .example("id-poison --model pg.idm --output protected/ --skip-existing archive/",
               "protect a growing archive from cron: only new photos are done")
      .example("cat a.png | id-poison --model pg.idm - > b.png", "standard input to standard output")
      .example("ffmpeg -i in.mp4 -f yuv4mpegpipe - | id-poison --model pg.idm - | ffmpeg -i - out.mp4",
               "protect a video through pipes (add the audio back with ffmpeg's -map)")
      .example("id-poison --model pg.idm talk.mp4", "writes talk.protected.mp4, audio copied");
}

void define(cli::Command& cmd, Options& o) {
  describe(cmd);
  cmd.positional("INPUT", &o.run.inputs, "images, folders of images (recursive), video files, or - for standard "
                                      "input (an image, a y4m stream, or raw rgb24 with --size)")
      .option("model", &o.run.model, "FILE", "perturbation generator (a model file of the attr or reenact task)",
              cli::ValueKind::File, 'm')
      .choice("method", &o.run.protection.method, {"pg", "noise", "pgd", "ifgsm", "fgsm"},
              "pg: the trained generator; pgd/ifgsm/fgsm: Ruiz et al.'s attack against --target; noise: "
              "uniform noise of --epsilon (a control)")
      .option("target", &o.run.target, "FILE", "editor model the pgd/ifgsm/fgsm methods attack", cli::ValueKind::File)
      .option("refine", &o.run.protection.refine, "K", "pg: refine the generator's perturbation of each face by K PGD steps "
                                        "against the surrogate editors the model file carries, never leaving the "
                                        "cap --tau (0: the generator alone; each step costs about a forward and "
                                        "backward pass of every surrogate per domain)")
          .range(0, 1000)
      .option("refine-step", &o.run.protection.refine_step, "S", "step of each refining PGD step on the [-1,1] scale")
          .range(0, 1, true)
      .list("refine-against", &o.run.protection.refine_against, "FILE",
            "pg with --refine: editor models (id-forge's, or imported by id-forge import) to refine against instead "
            "of the surrogates the model carries; each must work at the generator's size", cli::ValueKind::File)
      .option("epsilon", &o.epsilon, "E", "intensity on the [-1,1] scale (0.05 is about 6.4/255)")
          .range(0, 1, true)
      .option("tau", &o.tau, "T", "cap of |protected - original| on the [-1,1] scale (negative: the model's "
                                  "own for pg without --epsilon, else equal to --epsilon)")
          .range(-1, 1)
      .option("output", &o.run.output_dir, "DIR", "write outputs here, mirroring the input tree (default: beside each "
                                          "input as NAME.protected.EXT)",
              cli::ValueKind::Directory, 'o')
      .flag("in-place", &o.run.in_place, "replace each input (atomically, keeping its mode and owner, through "
                                     "symbolic links) instead of writing a new file; each folder is locked "
                                     "and what was protected is recorded in its .id-poison.done")
      .flag("skip-existing", &o.run.skip_existing, "leave out inputs whose output already exists (with --in-place: "
                                               "files an earlier run protected, unchanged since)")
      .option("shard", &o.shard, "K/N", "process only the K-th of N stable parts of the inputs (split an "
                                        "archive across machines or a job array)")
      .flag("aligned", &o.run.aligned, "inputs are aligned face crops: resize to the model's size and back, no "
                                   "detection")
      .option("feather", &o.run.feather, "F", "soft edge of each face's mask, as a fraction of the crop side")
          .range(0, 1)
      .option("upsample", &o.run.upsample, "N", "face detector upsampling (finds smaller faces, slower)")
          .range(0, 4)
      .option("landmark-model", &o.run.landmark_model, "FILE", "dlib 68-point landmark model (default: Debian's "
                                                      "libdlib-data file)",
              cli::ValueKind::File)
      .option("jobs", &o.run.jobs, "N", "protect N inputs at a time, each job with its own model and face detector "
                                    "(one network thread per job unless --threads says otherwise)")
          .range(1, 256)
      .option("detect-every", &o.run.detect_every, "N", "video: detect faces on every N-th frame and re-fit their "
                                                    "landmarks in between (1: detect on every frame)")
          .range(1, 1e6)
      .choice("no-face", &o.no_face, {"fail", "copy", "skip"},
              "an input in which no face is found: fail (no output, exit 1), copy (written unchanged; in place: "
              "left as it is) or skip (no output); copy and skip warn and count it in the summary. Frames sent "
              "to standard output pass unchanged whatever the choice")
      .option("size", &o.size, "WxH", "standard input is raw rgb24 frames of this size (output: the same)")
      .option("rate", &o.rate, "FPS", "frame rate of raw rgb24 input (25, 29.97 or 30000/1001)")
      .choice("video-codec", &o.video_codec, {"h264", "h264-lossless", "ffv1"},
              "codec of video file outputs: H.264 at --crf, lossless H.264, or FFV1 (lossless; .mkv, .avi)")
      .option("crf", &o.run.video.crf, "N", "H.264 quality of video file outputs (lower keeps more of the perturbation)")
          .range(0, 51)
      .option("jpeg-quality", &o.run.jpeg_quality, "Q", "quality of JPEG outputs")
          .range(1, 100)
      .flag("strip-metadata", &o.run.strip_metadata, "drop EXIF, XMP and IPTC from outputs")
      .option("max-pixels", &o.max_pixels, "N", "refuse images larger than this (decompression bombs)")
          .range(1, 1e13)
      .option("seed", &o.seed, "N", "seed of the noise and PGD random starts");
}

// The shipped default model, found relative to the built or installed binary.
std::string default_model() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  for (const fs::path& candidate : {self.parent_path() / "../share/initiative-defense/models/default.idm",
                                    self.parent_path() / "../models/default.idm",
                                    fs::path(ID_MODEL_DIR) / "default.idm"})
    if (fs::exists(candidate, ec)) return fs::weakly_canonical(candidate).string();
  return "";
}

VideoCodec video_codec(const std::string& name) {
  return name == "ffv1" ? VideoCodec::Ffv1 : name == "h264-lossless" ? VideoCodec::H264Lossless : VideoCodec::H264;
}

int run(const cli::Command& cmd, Options& o) {
  ProtectionRunSettings& s = o.run;
  ProtectionSettings& p = s.protection;
  if (cmd.given("epsilon")) p.epsilon = o.epsilon;
  if (o.tau >= 0) p.tau = o.tau;
  p.seed = static_cast<std::uint64_t>(o.seed);
  if (p.method != "pg" && cmd.given("refine-step")) throw UsageError("--refine and --refine-step are for --method pg");
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
  if (s.inputs == std::vector<std::string>{"-"} && cmd.common().progress == "-")
    throw UsageError("--progress -: standard output carries the image");
  if (p.method == "pg" && s.model.empty()) {
    s.model = default_model();
    if (s.model.empty())
      throw UsageError("no --model given and no shipped default model is installed (models/default.idm)");
  }

  cli::Log log(cmd.program(), cmd.common().quiet);
  std::unique_ptr<cli::Progress> progress;
  ProtectionRunEvents events;
  events.info = [&](const std::string& m) { log.info(m); };
  events.warn = [&](const std::string& m) { log.warn(m); };
  events.error = [&](const std::string& m) { log.error(m); };
  events.planned = [&](std::size_t inputs) {
    progress = std::make_unique<cli::Progress>(cmd.common(), "protect", static_cast<std::int64_t>(inputs));
  };
  events.progress = [&](std::size_t done, int frames) {
    if (frames < 0) progress->update(static_cast<std::int64_t>(done));
    else progress->update(static_cast<std::int64_t>(done), {{"frames", std::to_string(frames)}});
  };
  ProtectionRunReport report = run_protection(s, torch::Device(cmd.common().device), events);
  if (progress) progress->finish();
  const std::string summary = report.summary(!s.aligned);
  if (report.failed()) log.error(summary);
  else log.info(summary);
  return report.failed() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run_tool("id-poison", [&] {
    cli::Command cmd("id-poison", "protect face photos against face manipulation before publishing them");
    Options o;
    define(cmd, o);
    if (!cmd.parse(argc, argv)) return 0;
    return run(cmd, o);
  });
}
