// id-poison: protects face photos before they are published. Each face is perturbed by a
// trained generator (or, for comparison, by Ruiz et al.'s PGD against an editor, or by
// noise) so that a forger's manipulation model produces broken forgeries from it.
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/command.h"
#include "cli/progress.h"
#include "core/build_config.h"
#include "core/error.h"
#include "defence/baselines.h"
#include "defence/photo_batch.h"
#include "defence/protect_photo.h"
#include "face/detector.h"
#include "io/image.h"
#include "model/editor_model.h"

namespace fs = std::filesystem;
using namespace idef;

namespace {

struct Options {
  std::vector<std::string> inputs;
  std::string model, method = "pg", target, output, shard = "1/1", landmarks;
  double epsilon = 0.05, tau = -1, feather = 0.1;
  bool in_place = false, skip_existing = false, aligned = false, strip_metadata = false;
  int jpeg_quality = 95, upsample = 0;
  std::int64_t max_pixels = 100'000'000, seed = 0;
};

void define(cli::Command& cmd, Options& o) {
  cmd.description(
         "Detects every face in each photo, aligns it to the model's face crop, computes the perturbation "
         "there and warps it back with a soft-edged mask, adding it at full resolution; the rest of the photo "
         "is left exactly as it was. Outputs keep size, alpha, ICC profile, EXIF and format; JPEG output is "
         "lossy and weakens the protection (use PNG, WebP or a high --jpeg-quality). A photo without a face is "
         "reported and counted as failed; the batch goes on. Video files and y4m streams are not supported "
         "yet.")
      .example("id-poison --model pg.idm photo.jpg", "writes photo.protected.jpg beside photo.jpg")
      .example("id-poison --model pg.idm --output protected/ --skip-existing archive/",
               "protect a growing archive from cron: only new photos are done")
      .example("cat a.png | id-poison --model pg.idm - > b.png", "standard input to standard output")
      .positional("INPUT", &o.inputs, "images, folders (recursive) or - for standard input")
      .option("model", &o.model, "FILE", "perturbation generator (a model file of the attr or reenact task)",
              cli::ValueKind::File, 'm')
      .choice("method", &o.method, {"pg", "noise", "pgd", "ifgsm", "fgsm"},
              "pg: the trained generator; pgd/ifgsm/fgsm: Ruiz et al.'s attack against --target; noise: "
              "uniform noise of --epsilon (a control)")
      .option("target", &o.target, "FILE", "editor model the pgd/ifgsm/fgsm methods attack", cli::ValueKind::File)
      .option("epsilon", &o.epsilon, "E", "intensity on the [-1,1] scale (0.05 is about 6.4/255)")
      .option("tau", &o.tau, "T", "cap of |protected - original| on the [-1,1] scale (negative: equal to "
                                  "--epsilon)")
      .option("output", &o.output, "DIR", "write outputs here, mirroring the input tree (default: beside each "
                                          "input as NAME.protected.EXT)",
              cli::ValueKind::Directory, 'o')
      .flag("in-place", &o.in_place, "replace each input (atomically) instead of writing a new file")
      .flag("skip-existing", &o.skip_existing, "leave out inputs whose output already exists")
      .option("shard", &o.shard, "K/N", "process only the K-th of N stable parts of the inputs (split an "
                                        "archive across machines or a job array)")
      .flag("aligned", &o.aligned, "inputs are aligned face crops: resize to the model's size and back, no "
                                   "detection")
      .option("feather", &o.feather, "F", "soft edge of each face's mask, as a fraction of the crop side")
      .option("upsample", &o.upsample, "N", "face detector upsampling (finds smaller faces, slower)")
      .option("landmark-model", &o.landmarks, "FILE", "dlib 68-point landmark model (default: Debian's "
                                                      "libdlib-data file)",
              cli::ValueKind::File)
      .option("jpeg-quality", &o.jpeg_quality, "Q", "quality of JPEG outputs")
      .flag("strip-metadata", &o.strip_metadata, "drop EXIF, XMP and IPTC from outputs")
      .option("max-pixels", &o.max_pixels, "N", "refuse images larger than this (decompression bombs)")
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

int run(const cli::Command& cmd, Options& o) {
  // Combinations first, before any input is read.
  if (o.in_place && !o.output.empty()) throw UsageError("--in-place and --output exclude each other");
  bool pgd_like = o.method == "pgd" || o.method == "ifgsm" || o.method == "fgsm";
  if (pgd_like && o.target.empty()) throw UsageError("--method " + o.method + " needs --target EDITOR");
  if (!pgd_like && !o.target.empty()) throw UsageError("--target is for --method pgd, ifgsm or fgsm");
  if (o.epsilon <= 0 || o.epsilon > 1) throw UsageError("--epsilon must be in (0, 1]");
  int shard_index = 1, shard_count = 1;
  parse_shard(o.shard, shard_index, shard_count);
  bool uses_stdin = std::count(o.inputs.begin(), o.inputs.end(), "-") > 0;
  if (uses_stdin && o.inputs.size() > 1) throw UsageError("- (standard input) cannot be mixed with other inputs");
  if (uses_stdin && (o.in_place || !o.output.empty())) throw UsageError("- writes to standard output");
  if (uses_stdin && cmd.common().progress == "-") throw UsageError("--progress -: standard output carries the image");
  if (o.method == "pg" && o.model.empty()) {
    o.model = default_model();
    if (o.model.empty())
      throw UsageError("no --model given and no shipped default model is installed (models/default.idm)");
  }
  cli::Log log(cmd.program(), cmd.common().quiet);
  torch::Device device(cmd.common().device);

  // Models next: a bad model stops the run before any output is written.
  ProtectOptions protect;
  protect.epsilon = o.epsilon;
  protect.feather = o.feather;
  CropPerturber perturber;
  if (o.method == "pg") {
    PerturbationModel pg = load_perturbation_model(o.model, device);
    if (!cmd.given("epsilon")) protect.epsilon = pg.epsilon;
    protect.tau = o.tau >= 0 ? o.tau : (cmd.given("epsilon") ? protect.epsilon : pg.tau);
    perturber = generator_perturber(pg, protect);
  } else {
    protect.tau = o.tau >= 0 ? o.tau : o.epsilon;
    if (pgd_like) perturber = attack_perturber(load_editor_model(o.target, device), o.method, o.epsilon, o.seed);
    else perturber = noise_perturber(256, o.epsilon, static_cast<std::uint64_t>(o.seed));
  }
  std::unique_ptr<FaceDetector> detector;
  if (!o.aligned) {
    FaceDetectorOptions d;
    if (!o.landmarks.empty()) d.landmark_model = o.landmarks;
    d.upsample = o.upsample;
    detector = std::make_unique<FaceDetector>(d);
  }

  BatchPlanOptions plan_options{o.output, o.in_place, o.skip_existing, shard_index, shard_count};
  BatchPlan plan = plan_photo_jobs(o.inputs, plan_options);
  std::unique_ptr<FolderLock> lock;
  if (!o.output.empty()) {
    fs::create_directories(o.output);
    lock = std::make_unique<FolderLock>(o.output);
  }
  int failed = static_cast<int>(plan.missing.size());
  for (const auto& m : plan.missing) log.error("cannot read '" + m + "': no such file or folder");

  ImageLoadOptions load;
  load.max_pixels = static_cast<std::uint64_t>(o.max_pixels);
  ImageSaveOptions save;
  save.jpeg_quality = o.jpeg_quality;
  save.strip_metadata = o.strip_metadata;
  std::size_t done = 0, protected_count = 0, faces = 0;
  cli::Progress progress(cmd.common(), "protect", static_cast<std::int64_t>(plan.jobs.size()));
  for (const auto& job : plan.jobs) {
    try {
      static const std::set<std::string> video{".mp4", ".mkv", ".mov", ".avi", ".webm", ".y4m", ".m4v", ".ts"};
      if (video.count(fs::path(job.input).extension().string()))
        throw InputError(job.input, "video files and y4m streams are not supported by id-poison yet");
      Image image = Image::load(job.input, load);
      Rgb8 out;
      if (o.aligned) {
        out = protect_aligned(image.rgb(), perturber, protect);
      } else {
        ProtectedPhoto result = protect_photo(image.rgb(), *detector, perturber, protect);
        if (result.faces.empty()) throw InputError(job.input, "no face found (nothing protected, no output written)");
        faces += result.faces.size();
        out = std::move(result.image);
      }
      if (job.output != "-") fs::create_directories(fs::path(job.output).parent_path().empty()
                                                        ? fs::path(".")
                                                        : fs::path(job.output).parent_path());
      image.save(job.output, out, save);
      ++protected_count;
    } catch (const InputError& e) {
      log.error(e.what());
      ++failed;
    } catch (const OutputError& e) {
      log.error(e.what());
      ++failed;
    }
    progress.update(static_cast<std::int64_t>(++done));
  }
  progress.finish();
  std::string summary = "protected " + std::to_string(protected_count) + " of " +
                        std::to_string(plan.jobs.size() + plan.missing.size()) + " inputs";
  if (!o.aligned) summary += " (" + std::to_string(faces) + " faces)";
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
