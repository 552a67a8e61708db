// id-poison: protects face photos and videos before they are published. Each face is
// perturbed by a trained generator (or, for comparison, by Ruiz et al.'s PGD against an
// editor, or by noise) so that a forger's manipulation model produces broken forgeries from it.
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/command.h"
#include "cli/progress.h"
#include "core/atomic_file.h"
#include "core/build_config.h"
#include "core/error.h"
#include "core/version.h"
#include "defence/baselines.h"
#include "defence/photo_batch.h"
#include "defence/protect_photo.h"
#include "defence/protect_stream.h"
#include "face/detector.h"
#include "io/byte_stream.h"
#include "io/image.h"
#include "io/raw_video.h"
#include "io/video_file.h"
#include "io/y4m.h"
#include "model/editor_model.h"

namespace fs = std::filesystem;
using namespace idef;

namespace {

struct Options {
  std::vector<std::string> inputs;
  std::string model, method = "pg", target, output, shard = "1/1", landmarks;
  std::string size, rate = "25", video_codec = "h264";
  double epsilon = 0.05, tau = -1, feather = 0.1;
  bool in_place = false, skip_existing = false, aligned = false, strip_metadata = false;
  int jpeg_quality = 95, upsample = 0, detect_every = 5, crf = 16, jobs = 1, refine = 0;
  double refine_step = 0.01;
  std::int64_t max_pixels = 100'000'000, seed = 0;
};

void define(cli::Command& cmd, Options& o) {
  cmd.description(
         "Detects every face in each photo, aligns it to the model's face crop, computes the perturbation "
         "there and warps it back with a soft-edged mask, adding it at full resolution; the rest of the photo "
         "is left exactly as it was. Outputs keep size, alpha, ICC profile, EXIF and format; JPEG output is "
         "lossy and weakens the protection (use PNG, WebP or a high --jpeg-quality). A photo without a face is "
         "reported and counted as failed; the batch goes on. Videos are protected frame by frame with constant "
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
      .example("id-poison --model pg.idm talk.mp4", "writes talk.protected.mp4, audio copied")
      .positional("INPUT", &o.inputs, "images, folders of images (recursive), video files, or - for standard "
                                      "input (an image, a y4m stream, or raw rgb24 with --size)")
      .option("model", &o.model, "FILE", "perturbation generator (a model file of the attr or reenact task)",
              cli::ValueKind::File, 'm')
      .choice("method", &o.method, {"pg", "noise", "pgd", "ifgsm", "fgsm"},
              "pg: the trained generator; pgd/ifgsm/fgsm: Ruiz et al.'s attack against --target; noise: "
              "uniform noise of --epsilon (a control)")
      .option("target", &o.target, "FILE", "editor model the pgd/ifgsm/fgsm methods attack", cli::ValueKind::File)
      .option("refine", &o.refine, "K", "pg: refine the generator's perturbation of each face by K PGD steps "
                                        "against the surrogate editors the model file carries, never leaving the "
                                        "cap --tau (0: the generator alone; each step costs about a forward and "
                                        "backward pass of every surrogate per domain)")
          .range(0, 1000)
      .option("refine-step", &o.refine_step, "S", "step of each refining PGD step on the [-1,1] scale")
          .range(0, 1, true)
      .option("epsilon", &o.epsilon, "E", "intensity on the [-1,1] scale (0.05 is about 6.4/255)")
          .range(0, 1, true)
      .option("tau", &o.tau, "T", "cap of |protected - original| on the [-1,1] scale (negative: equal to "
                                  "--epsilon)")
          .range(-1, 1)
      .option("output", &o.output, "DIR", "write outputs here, mirroring the input tree (default: beside each "
                                          "input as NAME.protected.EXT)",
              cli::ValueKind::Directory, 'o')
      .flag("in-place", &o.in_place, "replace each input (atomically, keeping its mode and owner, through "
                                     "symbolic links) instead of writing a new file; each folder is locked "
                                     "and what was protected is recorded in its .id-poison.done")
      .flag("skip-existing", &o.skip_existing, "leave out inputs whose output already exists (with --in-place: "
                                               "files an earlier run protected, unchanged since)")
      .option("shard", &o.shard, "K/N", "process only the K-th of N stable parts of the inputs (split an "
                                        "archive across machines or a job array)")
      .flag("aligned", &o.aligned, "inputs are aligned face crops: resize to the model's size and back, no "
                                   "detection")
      .option("feather", &o.feather, "F", "soft edge of each face's mask, as a fraction of the crop side")
          .range(0, 1)
      .option("upsample", &o.upsample, "N", "face detector upsampling (finds smaller faces, slower)")
          .range(0, 4)
      .option("landmark-model", &o.landmarks, "FILE", "dlib 68-point landmark model (default: Debian's "
                                                      "libdlib-data file)",
              cli::ValueKind::File)
      .option("jobs", &o.jobs, "N", "protect N inputs at a time, each job with its own model and face detector "
                                    "(one network thread per job unless --threads says otherwise)")
          .range(1, 256)
      .option("detect-every", &o.detect_every, "N", "video: detect faces on every N-th frame and re-fit their "
                                                    "landmarks in between (1: detect on every frame)")
          .range(1, 1e6)
      .option("size", &o.size, "WxH", "standard input is raw rgb24 frames of this size (output: the same)")
      .option("rate", &o.rate, "FPS", "frame rate of raw rgb24 input (25, 29.97 or 30000/1001)")
      .choice("video-codec", &o.video_codec, {"h264", "h264-lossless", "ffv1"},
              "codec of video file outputs: H.264 at --crf, lossless H.264, or FFV1 (lossless; .mkv, .avi)")
      .option("crf", &o.crf, "N", "H.264 quality of video file outputs (lower keeps more of the perturbation)")
          .range(0, 51)
      .option("jpeg-quality", &o.jpeg_quality, "Q", "quality of JPEG outputs")
          .range(1, 100)
      .flag("strip-metadata", &o.strip_metadata, "drop EXIF, XMP and IPTC from outputs")
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

// The rest of a source whose first bytes were already taken.
std::string read_rest(ByteSource& source) {
  std::string bytes;
  char chunk[1 << 16];
  while (std::size_t got = source.read(chunk, sizeof chunk)) bytes.append(chunk, got);
  return bytes;
}

VideoWriterOptions video_writer_options(const Options& o) {
  VideoWriterOptions v;
  v.codec = o.video_codec == "ffv1" ? VideoCodec::Ffv1
            : o.video_codec == "h264-lossless" ? VideoCodec::H264Lossless
                                               : VideoCodec::H264;
  v.crf = o.crf;
  return v;
}

// Raw rgb24 frames from standard input to standard output.
StreamStats protect_raw_stdin(const RawVideoFormat& format, StreamProtector& protector, const FrameCallback& on_frame) {
  RawVideoReader in(ByteSource::from_file(stdin, "-"), format);
  RawVideoWriter out("-", format);
  return protect_raw_video(in, out, protector, on_frame);
}

// A y4m file, or standard input whose first bytes (`head`) were already read from `source`.
StreamStats protect_y4m_input(const PhotoJob& job, std::unique_ptr<ByteSource> source, const std::string& head,
                              StreamProtector& protector, const FrameCallback& on_frame) {
  Y4mReader in(source ? ByteSource::with_prefix(head, std::move(source)) : ByteSource::open(job.input));
  Y4mWriter out(job.output, in.header());
  return protect_y4m(in, out, protector, on_frame);
}

int run(const cli::Command& cmd, Options& o) {
  // Combinations first, before any input is read.
  if (o.in_place && !o.output.empty()) throw UsageError("--in-place and --output exclude each other");
  bool pgd_like = o.method == "pgd" || o.method == "ifgsm" || o.method == "fgsm";
  if (pgd_like && o.target.empty()) throw UsageError("--method " + o.method + " needs --target EDITOR");
  if (!pgd_like && !o.target.empty()) throw UsageError("--target is for --method pgd, ifgsm or fgsm");
  if (o.method != "pg" && (cmd.given("refine") || cmd.given("refine-step")))
    throw UsageError("--refine and --refine-step are for --method pg");
  int shard_index = 1, shard_count = 1;
  parse_shard(o.shard, shard_index, shard_count);
  bool uses_stdin = std::count(o.inputs.begin(), o.inputs.end(), "-") > 0;
  if (uses_stdin && o.inputs.size() > 1) throw UsageError("- (standard input) cannot be mixed with other inputs");
  if (uses_stdin && (o.in_place || !o.output.empty())) throw UsageError("- writes to standard output");
  if (uses_stdin && cmd.common().progress == "-") throw UsageError("--progress -: standard output carries the image");
  RawVideoFormat raw;
  if (!o.size.empty()) {
    if (!uses_stdin) throw UsageError("--size is for raw rgb24 frames on standard input (-)");
    parse_frame_size(o.size, raw.width, raw.height);
    raw.frame_rate = parse_frame_rate(o.rate);
  } else if (cmd.given("rate")) {
    throw UsageError("--rate is for raw rgb24 input, with --size");
  }
  if (o.method == "pg" && o.model.empty()) {
    o.model = default_model();
    if (o.model.empty())
      throw UsageError("no --model given and no shipped default model is installed (models/default.idm)");
  }
  cli::Log log(cmd.program(), cmd.common().quiet);
  torch::Device device(cmd.common().device);

  // Models next: a bad model stops the run before any output is written. Every job has its
  // own perturber and detector (dlib's detector is not thread-safe; nor, in general, is a
  // module's forward with its own state).
  ProtectOptions protect;
  protect.epsilon = o.epsilon;
  protect.feather = o.feather;
  struct Worker {
    CropPerturber perturber;
    std::unique_ptr<FaceDetector> detector;
  };
  auto make_worker = [&] {
    Worker w;
    if (o.method == "pg") {
      PerturbationModel pg = load_perturbation_model(o.model, device);
      if (!cmd.given("epsilon")) protect.epsilon = pg.epsilon;
      protect.tau = o.tau >= 0 ? o.tau : (cmd.given("epsilon") ? protect.epsilon : pg.tau);
      w.perturber = refine_perturber(pg, protect, o.refine, o.refine_step);
    } else {
      protect.tau = o.tau >= 0 ? o.tau : o.epsilon;
      if (pgd_like) w.perturber = attack_perturber(load_editor_model(o.target, device), o.method, o.epsilon, o.seed);
      else w.perturber = noise_perturber(256, o.epsilon, static_cast<std::uint64_t>(o.seed));
    }
    if (!o.aligned) {
      FaceDetectorOptions d;
      if (!o.landmarks.empty()) d.landmark_model = o.landmarks;
      d.upsample = o.upsample;
      w.detector = std::make_unique<FaceDetector>(d);
    }
    return w;
  };
  std::vector<Worker> workers;
  workers.push_back(make_worker());

  BatchPlanOptions plan_options{o.output, o.in_place, o.skip_existing, shard_index, shard_count};
  BatchPlan plan = plan_photo_jobs(o.inputs, plan_options);
  if (!o.output.empty()) fs::create_directories(o.output);
  std::vector<std::unique_ptr<FolderLock>> locks;  // the output folder, or in place each input folder
  for (const auto& dir : plan.lock_dirs) locks.push_back(std::make_unique<FolderLock>(dir));
  remove_temporaries_on_signal(cmd.program());
  int failed = static_cast<int>(plan.missing.size());
  for (const auto& m : plan.missing) log.error("cannot read '" + m + "': no such file or folder");

  ImageLoadOptions load;
  load.max_pixels = static_cast<std::uint64_t>(o.max_pixels);
  ImageSaveOptions save;
  save.jpeg_quality = o.jpeg_quality;
  save.strip_metadata = o.strip_metadata;
  std::size_t done = 0, protected_count = 0, faces = 0, frames = 0;
  cli::Progress progress(cmd.common(), "protect", static_cast<std::int64_t>(plan.jobs.size()));
  std::mutex mutex;  // guards the counters, the progress and `failed`
  auto protect_job = [&](const PhotoJob& job, Worker& worker) {
    const CropPerturber& perturber = worker.perturber;
    FaceDetector* detector = worker.detector.get();
    try {
      std::unique_ptr<ByteSource> stdin_source;
      std::string head;
      if (job.input == "-" && o.size.empty()) {
        // A pipe cannot seek back: sniff its first bytes, then read on behind them.
        stdin_source = ByteSource::from_file(stdin, "-");
        head.resize(9);
        head.resize(stdin_source->read(head.data(), head.size()));
      }
      const bool raw_input = job.input == "-" && !o.size.empty();
      const bool y4m = job.input == "-" ? head == "YUV4MPEG2" : fs::path(job.input).extension() == ".y4m";
      const bool video_file = job.input != "-" && has_video_extension(job.input);
      if (job.output != "-") fs::create_directories(fs::path(job.output).parent_path().empty()
                                                        ? fs::path(".")
                                                        : fs::path(job.output).parent_path());
      if (raw_input || y4m || video_file) {
        StreamProtector protector(detector, perturber, protect, o.detect_every);
        protector.set_max_pixels(static_cast<std::uint64_t>(o.max_pixels));
        // A lone job with more than one thread reads and finds faces a frame ahead on a
        // second core, and the network gets the other threads: waiting OpenMP threads spin,
        // and one spinning beside the reader took a quarter of the CPU time.
        const int network_threads = torch::get_num_threads();
        struct RestoreThreads {
          int count;
          ~RestoreThreads() { set_thread_count(count); }
        } restore{network_threads};
        if (o.jobs <= 1 && network_threads > 1) {
          protector.set_lookahead(2);
          set_thread_count(network_threads - 1);
        }
        FrameCallback on_frame = [&](int n) {
          std::lock_guard<std::mutex> hold(mutex);
          progress.update(static_cast<std::int64_t>(done), {{"frames", std::to_string(n)}});
        };
        StreamStats stats = raw_input ? protect_raw_stdin(raw, protector, on_frame)
                            : y4m     ? protect_y4m_input(job, std::move(stdin_source), head, protector, on_frame)
                                      : protect_video_file(job.input, job.output, protector,
                                                           video_writer_options(o), on_frame);
        {
          std::lock_guard<std::mutex> hold(mutex);
          faces += static_cast<std::size_t>(stats.faces);
          frames += static_cast<std::size_t>(stats.frames);
        }
        if (stats.frames_with_faces == 0)
          log.warn("'" + job.input + "': no face found in any of its " + std::to_string(stats.frames) +
                   " frames (written unchanged)");
        else
          log.info("'" + job.input + "': " + std::to_string(stats.frames) + " frames, " +
                   std::to_string(stats.frames_with_faces) + " with faces, detector run on " +
                   std::to_string(stats.detections));
      } else {
        Image image = stdin_source ? Image::load_buffer(head + read_rest(*stdin_source), "-", load)
                                   : Image::load(job.input, load);
        Rgb8 out;
        if (o.aligned) {
          out = protect_aligned(image.rgb(), perturber, protect);
        } else {
          ProtectedPhoto result = protect_photo(image.rgb(), *detector, perturber, protect);
          if (result.faces.empty())
            throw InputError(job.input, "no face found (nothing protected, no output written)");
          std::lock_guard<std::mutex> hold(mutex);
          faces += result.faces.size();
          out = std::move(result.image);
        }
        image.save(job.output, out, save);
      }
      if (!job.record.empty()) InPlaceRecord::add(job.record, job.record_key, job.output);
      std::lock_guard<std::mutex> hold(mutex);
      ++protected_count;
    } catch (const Error& e) {  // InputError and OutputError name the file themselves
      log.error(e.what());
      std::lock_guard<std::mutex> hold(mutex);
      ++failed;
    } catch (const BrokenPipe&) {
      throw;  // the reader stopped early: a clean stop of the whole run, not a failure
    } catch (const std::exception& e) {
      // Anything else one input raises is still that input's failure: the batch goes on.
      log.error("'" + job.input + "': " + e.what());
      std::lock_guard<std::mutex> hold(mutex);
      ++failed;
    }
    std::lock_guard<std::mutex> hold(mutex);
    progress.update(static_cast<std::int64_t>(++done));
  };
  const std::size_t job_count = std::min<std::size_t>(static_cast<std::size_t>(o.jobs), plan.jobs.size());
  if (job_count <= 1) {
    for (const auto& job : plan.jobs) protect_job(job, workers.front());
  } else {
    // Jobs share the cores: one network thread each, unless --threads says otherwise.
    if (!cmd.given("threads")) set_thread_count(1);
    while (workers.size() < job_count) workers.push_back(make_worker());
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> threads;
    for (std::size_t w = 0; w < job_count; ++w)
      threads.emplace_back([&, w] {
        for (std::size_t i = next++; i < plan.jobs.size(); i = next++) protect_job(plan.jobs[i], workers[w]);
      });
    for (auto& t : threads) t.join();
  }
  progress.finish();
  std::string summary = "protected " + std::to_string(protected_count) + " of " +
                        std::to_string(plan.jobs.size() + plan.missing.size()) + " inputs";
  if (!o.aligned) summary += " (" + std::to_string(faces) + " faces)";
  if (frames) summary += ", " + std::to_string(frames) + " video frames";
  if (plan.skipped_existing) summary += ", " + std::to_string(plan.skipped_existing) + " already done";
  if (plan.other_shards) summary += ", " + std::to_string(plan.other_shards) + " in other shards";
  if (failed) summary += ", " + std::to_string(failed) + " failed";
  if (failed) log.error(summary);
  else log.info(summary);
  return failed ? 1 : 0;
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
