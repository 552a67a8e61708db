// id-score: the metrics of docs/scoring.md as a command. Verbs name what is scored; `image`
// compares pictures (two files or two folders matched by relative path), `attr` scores the
// attribute defence against forgers, `sweep` does so over ε and methods (Figure 4), `video`
// compares two videos frame by frame, `reenact` scores the reenactment defence (Table 2), `joint`
// one protected video against both threats. Every
// figure comes from lib/metrics, the one definition the other tools use too; the report
// folder's files from lib/report.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/progress.h"
#include "cli/video_frames.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "face/detector.h"
#include "io/image.h"
#include "io/tensor_image.h"
#include "io/video_file.h"
#include "metrics/reenact_scoring.h"
#include "metrics/video_pairs.h"
#include "model/translator_model.h"
#include "report/contact_sheet.h"
#include "metrics/image_metrics.h"
#include "metrics/image_pairs.h"
#include "metrics/perceptual.h"
#include "defence/protect_photo.h"
#include "defence/protection.h"
#include "metrics/attr_scoring.h"
#include "model/editor_model.h"
#include "report/attr_report.h"
#include "report/text_format.h"

namespace fs = std::filesystem;
using namespace idef;

namespace {

struct Options {
  std::vector<std::string> args;  // VERB, then the verb's inputs
  bool json = false, align = false;
  std::string csv;
  std::string lpips_weights;
  // attr, sweep
  std::string data, split = "test", protected_dir, method, model, target, report, labels;
  std::vector<std::string> forgers;
  std::string poisoned;        // reenact, joint
  std::string reenact_forger;  // joint
  int frame_step = 10;         // joint
  std::vector<std::string> methods{"pg", "pgd", "ifgsm", "fgsm", "noise"};
  std::vector<std::string> epsilons{"0.01", "0.02", "0.03", "0.04", "0.05"};
  double epsilon = 0.05, threshold = kDsrThreshold;
  std::int64_t limit = -1, seed = 0;
  int crop = 0, image_size = 0, sheet_count = 4, refine = 0, face_crop = 0;
  double refine_step = 0.01;
  std::vector<std::string> refine_against;  // pg: editors to refine against (else the generator's surrogates)
};

// The help's prose and examples.
void describe(cli::Command& cmd) {
  cmd.synopsis("image [OPTION]... A B")
      .synopsis("attr --forger EDITOR... (--protected DIR | --method METHOD) (--data DIR | IMAGE|DIR...) [OPTION]...")
      .synopsis("sweep --forger EDITOR... --methods LIST --epsilons LIST (--data DIR | IMAGE|DIR...) [OPTION]...")
      .synopsis("video [OPTION]... A B")
      .synopsis("reenact --forger MODEL --poisoned MODEL [OPTION]... DRIVING_VIDEO")
      .synopsis("joint [--forger EDITOR]... [--reenact-forger MODEL --poisoned MODEL] [OPTION]... CLEAN_VIDEO "
                "PROTECTED_VIDEO [DRIVING_VIDEO]")
      .description(
          "image compares pictures: two files, or two folders whose image files are matched by their path "
          "relative to the folder (recursively). For each pair it prints PSNR (dB, images on [0, 1], 'inf' "
          "for identical pictures), SSIM (11×11 Gaussian window, σ = 1.5, on BT.601 luma, valid windows "
          "only; n/a under 11 px), L1 and L2 (mean absolute and mean squared difference on the [-1, 1] "
          "scale) and LPIPS, then the mean over the pairs (a mean PSNR is 'inf' when one pair is "
          "identical). LPIPS needs ImageNet-trained weights converted into a model file (see "
          "bench/tools/convert_torchvision_weights.md); without --lpips-weights it reads n/a. A file "
          "without its counterpart, pictures of different sizes and unreadable files are reported on "
          "standard error, the other pairs are still scored, and the exit status is 1. The table goes to "
          "standard output; --json prints JSON instead (keys psnr, ssim, l1, l2, lpips per item and in "
          "summary; null stands for n/a, and for PSNR, which always exists, for +inf).\n\n"
          "attr measures the attribute defence the way the paper does. The clean faces come from a CelebA-layout "
          "folder (--data; its labels give StarGAN's target domains: a hair colour set, any other attribute "
          "flipped) or from image files and folders (no labels unless --labels gives them: each domain is "
          "one attribute on, the others off); every face is centre-cropped and resized to the scoring size "
          "(--image-size, default the first forger's). The protected faces are either ready-made (--protected DIR, matched by the "
          "path relative to the input folder, prepared the same way) or made on the fly: --method pg with "
          "--model, noise (uniform, a control), or the PGD attack of Ruiz et al. and its I-FGSM and FGSM "
          "variants against --target (the surrogate for the gray-box column, the forger itself for "
          "the white-box bound), at --epsilon, made by the same code as id-poison's with the same settings: "
          "a face protected here is the face id-poison --aligned writes (attacks go for the face's own "
          "target domains when its labels are known). Each forger (an editor model from id-forge) sees both faces "
          "resized to its own size; for every face and target domain the forgeries of the clean and of "
          "the protected face are compared: L1, L2 (mean absolute and mean squared difference, [-1, 1] "
          "scale), and the pair is disrupted when L2 > --threshold; DSR is the share of disrupted pairs. "
          "PSNR and SSIM are those of the protected against the clean face at the scoring size. Standard "
          "output gets a table per forger; --json prints {verb, threshold, protection, forgers: [{forger, "
          "path, images, pairs, disrupted, dsr, l1, l2, psnr, ssim, input_l2, gain}], errors: [message], summary: {faces, "
          "scored, failed}} instead (dsr a share in [0, 1]; psnr null for +inf). With --report DIR the "
          "folder gets items.csv (image, forger, domain, l1, l2, disrupted, psnr, ssim), summary.csv and "
          "sheet-FORGER.png: for the first --sheet-count faces one row per domain with the clean and "
          "protected face, the perturbation amplified to full range, both forgeries and their LBP maps. "
          "An unreadable face or a missing protected counterpart is reported, the rest is scored, and the "
          "exit status is 1.\n\n"
          "sweep runs attr's on-the-fly protection for every method of --methods at every ε of --epsilons "
          "against every forger. It prints a table (or JSON: {verb, threshold, rows: [{method, epsilon, "
          "forger, images, pairs, psnr, ssim, l1, l2, dsr}], errors}) and with --report DIR writes sweep.csv "
          "(method, epsilon, forger, images, pairs, psnr, ssim, l1, l2, dsr), psnr-vs-epsilon.png (one line "
          "per method; the protection does not depend on the forger), dsr-vs-epsilon-FORGER.png and "
          "l2-vs-epsilon-FORGER.png (one each per forger, one line per method): the data of the paper's "
          "Figure 4, and the forgery distance that ranks methods where every DSR is 0.\n\n"
          "video compares two videos of one size frame by frame (PSNR, SSIM, L1, L2 as image does; --json and "
          "--csv alike): how much a protection changed a video; with --face-crop PX it compares instead the "
          "aligned face crops a forger's reenactment training would cut from each (how much of the protection "
          "reaches the forger's data). Videos of different sizes or lengths are an "
          "error.\n\n"
          "reenact measures the reenactment defence as the paper's Table 2: --forger is the forger's model "
          "trained on the clean video, --poisoned the one trained the same way on the protected video "
          "(id-forge train-reenact). Both are driven by the landmark sketches of the driving video (held-out "
          "footage of the same person, whose frames are also the truth); a frame is disrupted when the L1 "
          "of the two models' faces exceeds --threshold. It prints the frames, disrupted frames, DSR, that "
          "L1 and L2, and each model's L1 and L2 to the true face (--json: {verb, threshold, frames, "
          "disrupted, dsr, l1, l2, clean_l1, clean_l2, poisoned_l1, poisoned_l2}); --report DIR writes "
          "frames.csv and sheet.png (sketch, true face, clean model, poisoned model for the first "
          "--sheet-count frames).\n\n"
          "joint scores one protected video (id-joint's, or any other protection's) against both threats of the "
          "joint scenario. It reads the clean and the protected video side by side: PSNR and SSIM of every "
          "frame; on every --frame-step-th frame each face of the clean frame is aligned and cut from both "
          "frames the same way, and every --forger (attribute editors, as attr) edits both crops: DSR and L2 "
          "as attr counts them. With --reenact-forger (the forger's reenactment model of the clean video) and "
          "--poisoned (the same recipe trained on the protected video, id-forge train-reenact), both are "
          "driven by DRIVING_VIDEO as reenact does: DSR and L1. Either threat may be left out. It prints "
          "the three parts (--json: {verb, threshold, video: {frames, psnr, ssim, l1, l2}, attr: {faces, "
          "forgers: [as attr]}, reenact: {as reenact} or null}); --report DIR writes video.csv (frame, psnr, "
          "ssim, l1, l2), the attr report's files and, for the reenactment part, reenact-frames.csv and "
          "reenact-sheet.png.")
      .example("id-score image photo.png protected.png", "how much the protection changed one photo")
      .example("id-score image --csv scores.csv --lpips-weights alex.idm originals/ protected/",
               "a folder, per-item CSV and LPIPS")
      .example("id-score attr --data faces --forger forger.idm --method noise --report noise-report",
               "the control: uniform noise of the default ε against a forger")
      .example("id-score attr --data faces --forger forger.idm --method pgd --target forger.idm",
               "the white-box bound: PGD against the forger itself")
      .example("id-score attr --forger forger.idm --protected protected/ originals/", "ready-made protection")
      .example("id-score sweep --data faces --forger forger.idm --model pg.idm --target surrogate.idm "
               "--report fig4",
               "Figure 4: PSNR and DSR against ε for every method")
      .example("id-score video me.mp4 me.protected.mp4", "how much the protection changed a video")
      .example("id-score reenact --forger clean.idm --poisoned poisoned.idm held-out.mp4",
               "Table 2: the forger's model trained on the protected video against the one trained on the clean")
      .example("id-score joint --forger res6.idm --reenact-forger clean.idm --poisoned joint.idm talk.y4m "
               "talk.joint.y4m held-out.y4m",
               "both threats against a video protected by id-joint");
}

void define(cli::Command& cmd, Options& o) {
  describe(cmd);
  cmd.positional("VERB", &o.args, "image, attr, sweep, video, reenact or joint, then the inputs (image, video: A B; "
                                   "attr, sweep: faces unless --data; reenact: the driving video; joint: the "
                                   "clean and the protected video, and the driving video)")
      .flag("json", &o.json, "print JSON instead of the table")
      .option("csv", &o.csv, "FILE", "image: also write per-item figures as CSV to FILE (- for standard output, "
                                     "instead of the table)",
              cli::ValueKind::File)
      .option("lpips-weights", &o.lpips_weights, "FILE",
              "image: LPIPS weights (alex or vgg) in the toolkit's model format; without it LPIPS is n/a",
              cli::ValueKind::File)
      .list("forger", &o.forgers, "FILE", "attr, sweep, joint: forger (editor) model, repeatable or comma-separated; "
                                          "reenact: the forger's reenactment model trained on the clean video",
            cli::ValueKind::File)
      .option("poisoned", &o.poisoned, "FILE", "reenact, joint: the forger's model trained on the protected video",
              cli::ValueKind::File)
      .option("reenact-forger", &o.reenact_forger, "FILE", "joint: the forger's reenactment model trained on the "
                                                           "clean video",
              cli::ValueKind::File)
      .option("frame-step", &o.frame_step, "N", "joint: the attribute forgers edit the faces of every N-th frame")
          .range(1, 1e6)
      .option("data", &o.data, "DIR", "attr, sweep: CelebA-layout folder of clean faces (with labels)",
              cli::ValueKind::Directory)
      .choice("split", &o.split, {"train", "val", "test", "all"}, "attr, sweep: which part of --data")
      .option("limit", &o.limit, "N", "attr, sweep, joint: score at most the first N faces (-1: all)")
          .range(-1, 1e12)
      .option("face-crop", &o.face_crop, "PX", "video: compare the aligned PX-pixel face crops a forger would cut "
                                                "from each video (each aligned by its own landmarks; frames with a "
                                                "face in both) instead of whole frames (0: whole frames)")
          .range(0, 4096)
      .flag("align", &o.align, "attr, sweep: find the faces in photos (IMAGE|DIR inputs) and score each on the "
                               "aligned face crop a forger would cut, the protected counterpart cut alike")
      .option("labels", &o.labels, "FILE", "attr, sweep: the IMAGE|DIR faces' own attributes, in CelebA's "
                                          "list_attr_celeba.txt format, a row per photo (NAME) or per face "
                                          "(NAME#k): their domains become StarGAN's targets",
              cli::ValueKind::File)
      .option("crop", &o.crop, "PX", "attr, sweep: centre square cut before resizing (0: the shorter side)")
          .range(0, 1e5)
      .option("image-size", &o.image_size, "PX", "attr, sweep, joint: scoring size (0: the first forger's)")
          .range(0, 4096)
      .option("protected", &o.protected_dir, "DIR", "attr: ready-made protected faces, matched by relative path",
              cli::ValueKind::Directory)
      .choice("method", &o.method, protection_methods(), "attr: make the protection on the fly with this method")
      .list("methods", &o.methods, "LIST", "sweep: methods to compare (pg, pgd, ifgsm, fgsm, noise)")
      .option("model", &o.model, "FILE", "pg: the perturbation generator model", cli::ValueKind::File)
      .option("target", &o.target, "FILE", "pgd, ifgsm, fgsm: the editor the attack runs against",
              cli::ValueKind::File)
          .alias("attack-model")
      .option("refine", &o.refine, "K", "pg: refine the generator's output by K PGD steps against the surrogates "
                                        "its model carries, as id-poison --refine does (0: the generator alone)")
          .range(0, 1000)
      .option("refine-step", &o.refine_step, "S", "pg: step of each refining PGD step on the [-1,1] scale")
          .range(0, 1, true)
      .list("refine-against", &o.refine_against, "FILE", "pg with --refine: editor models to refine against "
                                                         "instead of the surrogates the model carries, as "
                                                         "id-poison --refine-against does", cli::ValueKind::File)
      .option("epsilon", &o.epsilon, "E", "attr: intensity on the [-1,1] scale, also the cap of |x' - x| "
                                          "(pg without it: the model's)")
          .range(0, 1, true)
      .list("epsilons", &o.epsilons, "LIST", "sweep: intensities, comma-separated")
      .option("seed", &o.seed, "N", "seed of the noise and the PGD random starts")
      .option("threshold", &o.threshold, "T", "attr, sweep: a pair is disrupted when the L2 of its forgeries exceeds T; "
                                              "reenact: a frame when the L1 of the two models' faces does")
          .range(0, 4)
      .option("report", &o.report, "DIR", "attr, sweep, reenact, joint: write CSV, contact sheets and plots into DIR",
              cli::ValueKind::Directory)
      .option("sheet-count", &o.sheet_count, "N", "attr, reenact, joint: faces on each contact sheet")
          .range(0, 1000);
}

struct Scored {
  std::string name;
  ImageScores scores;
};

// Mean over the pairs that have the figure; NaN (n/a) when none has it.
ImageScores summary_of(const std::vector<Scored>& items) {
  ImageScores mean;
  auto avg = [&](double ImageScores::*field) {
    std::vector<double> v;
    for (const auto& it : items)
      if (!std::isnan(it.scores.*field)) v.push_back(it.scores.*field);
    return v.empty() ? kNotAvailable : mean_of(v);
  };
  mean.psnr = avg(&ImageScores::psnr);
  mean.ssim = avg(&ImageScores::ssim);
  mean.l1 = avg(&ImageScores::l1);
  mean.l2 = avg(&ImageScores::l2);
  mean.lpips = avg(&ImageScores::lpips);
  return mean;
}

std::string table(const std::vector<Scored>& items, const ImageScores& mean, const std::string& lpips_arch) {
  std::string mean_label = "mean (" + std::to_string(items.size()) + ")";
  std::size_t w = std::max<std::size_t>(4, mean_label.size());
  for (const auto& it : items) w = std::max(w, it.name.size());
  std::string lpips_head = lpips_arch.empty() ? "LPIPS" : "LPIPS-" + lpips_arch;
  auto row = [&](const std::string& name, const std::string& p, const std::string& s, const std::string& a,
                 const std::string& b, const std::string& l) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "%-*s  %9s  %7s  %9s  %9s  %11s\n", static_cast<int>(w), name.c_str(), p.c_str(),
                  s.c_str(), a.c_str(), b.c_str(), l.c_str());
    return std::string(buf);
  };
  auto values = [&](const std::string& name, const ImageScores& s) {
    return row(name, format_metric(s.psnr, 2), format_metric(s.ssim, 4), format_metric(s.l1, 6),
               format_metric(s.l2, 6), format_metric(s.lpips, 4));
  };
  std::string out = row("item", "PSNR(dB)", "SSIM", "L1", "L2", lpips_head);
  for (const auto& it : items) out += values(it.name, it.scores);
  out += values(mean_label, mean);
  return out;
}

std::string json(const std::string& verb, const std::vector<Scored>& items, const ImageScores& mean,
                 const std::vector<PairProblem>& problems, const std::string& lpips_arch) {
  auto fields = [](Json j, const ImageScores& s) {
    j["psnr"] = s.psnr;
    j["ssim"] = s.ssim;
    j["l1"] = s.l1;
    j["l2"] = s.l2;
    j["lpips"] = s.lpips;
    return j;
  };
  Json out{{"verb", verb}, {"lpips_net", lpips_arch.empty() ? Json() : Json(lpips_arch)}};
  out["items"] = Json::array();
  for (const auto& it : items) out["items"].push_back(fields(Json{{"item", it.name}}, it.scores));
  out["errors"] = Json::array();
  for (const auto& p : problems) out["errors"].push_back(Json{{"item", p.name}, {"error", p.message}});
  out["summary"] = fields(Json{{"count", items.size()}, {"failed", problems.size()}}, mean);
  return json_line(out);
}

std::string csv(const std::vector<Scored>& items) {
  std::string out = csv_row({"item", "psnr", "ssim", "l1", "l2", "lpips"});
  for (const auto& it : items) {
    const ImageScores& s = it.scores;
    out += csv_row({it.name, s.psnr, s.ssim, s.l1, s.l2, s.lpips});
  }
  return out;
}

std::string size_text(const Rgb8& image) {
  return std::to_string(image.width) + "x" + std::to_string(image.height);
}

int print_image_scores(const Options& o, const cli::Log& log, const std::vector<Scored>& items,
                       const std::vector<PairProblem>& problems, const std::string& lpips_arch);

int score_image(const cli::Command& cmd, const Options& o) {
  if (o.args.size() != 3) throw UsageError("image needs two inputs: A B (two files or two folders)");
  if (o.json && o.csv == "-") throw UsageError("--json and --csv - both want standard output");
  const std::string &a = o.args[1], &b = o.args[2];
  cli::Log log(cmd.program(), cmd.common().quiet);
  torch::Device device(cmd.common().device);
  std::unique_ptr<Lpips> lpips;
  if (!o.lpips_weights.empty()) lpips = std::make_unique<Lpips>(Lpips::load(o.lpips_weights, device));
  const std::string lpips_arch = lpips ? lpips->arch() : "";

  PairList list = match_image_pairs(a, b);
  std::vector<PairProblem> problems = list.problems;
  for (const auto& p : list.problems) log.error(p.message);
  std::vector<Scored> items;
  bool warned_small = false;
  torch::NoGradGuard no_grad;
  cli::Progress progress(cmd.common(), "image", static_cast<std::int64_t>(list.pairs.size()));
  std::int64_t done = 0;
  for (const auto& pair : list.pairs) {
    try {
      Image ia = Image::load(pair.a), ib = Image::load(pair.b);
      if (ia.width() != ib.width() || ia.height() != ib.height())
        throw Error("size mismatch: '" + pair.a + "' is " + size_text(ia.rgb()) + ", '" + pair.b + "' is " +
                    size_text(ib.rgb()));
      ImageScores s = score_images(ia.rgb(), ib.rgb(), lpips.get(), device);
      if (lpips && std::isnan(s.lpips) && !warned_small) {
        log.warn("LPIPS-" + lpips_arch + " needs pictures of at least " + std::to_string(lpips->min_size()) +
                 " pixels a side; n/a for '" + pair.name + "' and any other smaller one");
        warned_small = true;
      }
      items.push_back({pair.name, s});
    } catch (const Error& e) {
      log.error(e.what());
      problems.push_back({pair.name, e.what()});
    }
    progress.update(++done);
  }
  progress.finish();

  return print_image_scores(o, log, items, problems, lpips_arch);
}

// The figures of image and video: CSV, JSON or the table, and the exit status.
int print_image_scores(const Options& o, const cli::Log& log, const std::vector<Scored>& items,
                       const std::vector<PairProblem>& problems, const std::string& lpips_arch) {
  ImageScores mean = summary_of(items);
  if (!o.csv.empty()) write_all(o.csv, csv(items));
  if (o.json)
    std::fputs(json(o.args[0], items, mean, problems, lpips_arch).c_str(), stdout);
  else if (o.csv != "-")
    std::fputs(table(items, mean, lpips_arch).c_str(), stdout);
  std::fflush(stdout);
  if (!problems.empty()) {
    log.error(std::to_string(problems.size()) + " of " + std::to_string(problems.size() + items.size()) +
              " items failed");
    return 1;
  }
  return 0;
}

// What attr and sweep share: the checks made before any input is read, and the loading.
struct AttrSetup {
  std::vector<Forger> forgers;
  std::unique_ptr<PerturbationModel> generator;
  std::unique_ptr<EditorModel> target;  // the editor the attacks run against
  FaceSet faces;
};

void check_attr_options(const Options& o, const std::string& verb) {
  if (o.forgers.empty()) throw UsageError(verb + " needs at least one --forger EDITOR");
  const bool inputs = o.args.size() > 1;
  if (o.data.empty() == !inputs)
    throw UsageError(verb + " takes the clean faces from --data DIR or from IMAGE|DIR inputs (one of the two)");
  if (o.align && !o.data.empty()) throw UsageError("--align is for photos given as IMAGE|DIR inputs, not --data");
  if (!o.labels.empty() && !o.data.empty())
    throw UsageError("--labels is for faces given as IMAGE|DIR inputs; --data brings its own labels");
  if (!o.csv.empty() || !o.lpips_weights.empty()) throw UsageError("--csv and --lpips-weights are for image");
}

// --labels, read before any face: every attribute a forger or the attack edits must be a column.
AttributeList read_labels(const AttrSetup& s, const std::string& path) {
  AttributeList list = read_attribute_list(path);
  std::vector<const EditorModel*> models;
  for (const auto& forger : s.forgers) models.push_back(&forger.model);
  if (s.target) models.push_back(s.target.get());
  for (const EditorModel* m : models)
    for (const auto& a : m->attributes)
      if (list.index_of(a) < 0) throw InputError(path, "has no column '" + a + "', which an editor here edits");
  return list;
}

ProtectionSettings protection_settings(const Options& o, const std::string& method, std::optional<double> epsilon);

AttrSetup load_setup(const Options& o, const torch::Device& device, const cli::Log& log) {
  AttrSetup s;
  // Every model first: a wrong file is an error before any face is read.
  s.forgers = load_forgers(o.forgers, device);
  if (!o.model.empty())
    s.generator = std::make_unique<PerturbationModel>(load_protection_generator(protection_settings(o, "pg", {}), o.model));
  if (!o.target.empty()) s.target = std::make_unique<EditorModel>(load_editor_model(o.target));
  DatasetOptions f;
  f.image_size = o.image_size ? o.image_size : s.forgers.front().model.editor->config().image_size;
  f.crop = o.crop;
  f.split = o.split;
  f.limit = o.limit;
  if (!o.data.empty()) {
    // Every attribute a forger or the attack works on, each read once.
    for (const auto& forger : s.forgers)
      for (const auto& a : forger.model.attributes)
        if (std::find(f.attributes.begin(), f.attributes.end(), a) == f.attributes.end()) f.attributes.push_back(a);
    if (s.target)
      for (const auto& a : s.target->attributes)
        if (std::find(f.attributes.begin(), f.attributes.end(), a) == f.attributes.end()) f.attributes.push_back(a);
    s.faces = load_celeba_faces(o.data, f);
  } else {
    std::optional<AttributeList> labels;
    if (!o.labels.empty()) labels = read_labels(s, o.labels);
    std::unique_ptr<FaceDetector> detector;
    if (o.align) detector = std::make_unique<FaceDetector>();
    s.faces = load_image_faces(std::vector<std::string>(o.args.begin() + 1, o.args.end()), f, detector.get());
    if (labels)
      for (const auto& name : label_faces(s.faces, *labels))
        log.warn("'" + o.labels + "' has no row for '" + name + "': its domains are one attribute on each, the others off");
  }
  if (s.faces.faces.empty()) {
    for (const auto& p : s.faces.problems) log.error(p);
    throw Error("no faces to score");
  }
  log.info("scoring " + std::to_string(s.faces.faces.size()) + " faces at " + std::to_string(f.image_size) + " px");
  return s;
}

ProtectionSettings protection_settings(const Options& o, const std::string& method, std::optional<double> epsilon) {
  ProtectionSettings p;
  p.method = method;
  p.epsilon = epsilon;
  p.seed = static_cast<std::uint64_t>(o.seed);
  if (method == "pg") p.refine = o.refine, p.refine_step = o.refine_step, p.refine_against = o.refine_against;
  return p;
}

// Protection made on the fly: id-poison's make_protection on the face as id-poison --aligned
// sees it; the attacks go for the face's own target domains.
// A sweep loads the models of all its methods; each method gets the one it uses. Only an
// attack depends on the face (its domains); pg and noise are made once for all faces.
ProtectedSource protect_on_the_fly(const AttrSetup& s, const ProtectionSettings& settings) {
  const PerturbationModel* generator = settings.method == "pg" ? s.generator.get() : nullptr;
  const EditorModel* target = is_attack_method(settings.method) ? s.target.get() : nullptr;
  if (!target) {
    Protection p = make_protection(settings, generator, nullptr);
    return [p](const FaceItem& face, std::size_t) { return protect_aligned(face.image, p.perturber, p.options); };
  }
  check_protection_settings(settings, generator != nullptr, true);
  return [&s, settings, target](const FaceItem& face, std::size_t) {
    torch::Tensor d = face_domains(face, s.faces.attributes, target->attributes);
    std::vector<torch::Tensor> domains;
    for (std::int64_t j = 0; j < d.size(0); ++j) domains.push_back(d.slice(0, j, j + 1));
    Protection p = make_protection(settings, nullptr, target, std::move(domains));
    return protect_aligned(face.image, p.perturber, p.options);
  };
}

// Reports each problem once and says how many of the faces failed; the exit status.
int finish(const cli::Log& log, const std::vector<std::string>& problems, std::size_t faces) {
  std::vector<std::string> seen;
  for (const auto& p : problems)
    if (std::find(seen.begin(), seen.end(), p) == seen.end()) {
      log.error(p);
      seen.push_back(p);
    }
  if (seen.empty()) return 0;
  log.error(std::to_string(seen.size()) + " of " + std::to_string(faces + seen.size()) + " inputs failed");
  return 1;
}

std::string attr_table(const std::vector<AttrSummary>& summaries) {
  std::size_t w = 6;
  for (const auto& s : summaries) w = std::max(w, s.forger.size());
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-*s  %6s  %6s  %9s  %7s  %9s  %9s  %8s  %6s\n", static_cast<int>(w), "forger",
                "images", "pairs", "disrupted", "DSR(%)", "L1", "L2", "PSNR(dB)", "SSIM");
  std::string out = buf;
  for (const auto& s : summaries) {
    std::snprintf(buf, sizeof buf, "%-*s  %6lld  %6lld  %9lld  %7.2f  %9.6f  %9.6f  %8s  %6s\n", static_cast<int>(w),
                  s.forger.c_str(), static_cast<long long>(s.images), static_cast<long long>(s.pairs),
                  static_cast<long long>(s.disrupted), 100 * s.dsr, s.l1, s.l2, format_metric(s.psnr, 2).c_str(),
                  format_metric(s.ssim, 4).c_str());
    out += buf;
  }
  return out;
}

Json summary_json(const AttrSummary& s) {
  return Json{{"forger", s.forger}, {"images", s.images}, {"pairs", s.pairs},  {"disrupted", s.disrupted},
              {"dsr", s.dsr},       {"l1", s.l1},         {"l2", s.l2},        {"psnr", s.psnr},
              {"ssim", s.ssim},     {"input_l2", s.input_l2}, {"gain", s.gain()}};
}

fs::path report_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw OutputError(dir, ec.message());
  return fs::path(dir);
}

// attr's report files: per-pair and summary CSV, a contact sheet per forger.
void write_attr_report(const fs::path& dir, const AttrRun& run, const std::vector<Forger>& forgers) {
  write_all((dir / "items.csv").string(), attr_items_csv(run.pairs));
  write_all((dir / "summary.csv").string(), attr_summary_csv(run.summaries));
  if (!run.kept.empty())
    for (std::size_t f = 0; f < forgers.size(); ++f)
      save_rgb8((dir / ("sheet-" + forgers[f].name + ".png")).string(),
                attr_contact_sheet(run.kept, f, forgers[f].name));
}

int score_attr_verb(const cli::Command& cmd, const Options& o) {
  check_attr_options(o, "attr");
  if (o.protected_dir.empty() == o.method.empty())
    throw UsageError("attr needs either --protected DIR or --method METHOD (one of the two)");
  if (!o.protected_dir.empty() && (cmd.given("epsilon") || !o.model.empty() || !o.target.empty()))
    throw UsageError("--epsilon, --model and --target make protection on the fly: not with --protected");
  if (cmd.given("epsilons") || cmd.given("methods")) throw UsageError("--epsilons and --methods are for sweep");
  std::optional<double> epsilon;
  if (cmd.given("epsilon")) epsilon = o.epsilon;
  const ProtectionSettings settings = protection_settings(o, o.method, epsilon);
  if (!o.method.empty()) {
    // The models are loaded later; here only whether they were named.
    if (o.method != "pg" && cmd.given("refine-step")) throw UsageError("--refine and --refine-step are for --method pg");
    check_protection_settings(settings, !o.model.empty(), !o.target.empty());
  }
  cli::Log log(cmd.program(), cmd.common().quiet);
  torch::Device device(cmd.common().device);
  AttrSetup s = load_setup(o, device, log);

  ProtectedSource source = o.protected_dir.empty() ? protect_on_the_fly(s, settings)
                           : [&](const FaceItem& face, std::size_t) {
                               return load_protected_face(o.protected_dir, face, o.crop);
                             };
  cli::Progress progress(cmd.common(), "attr", static_cast<std::int64_t>(s.faces.faces.size()));
  AttrRun run = score_attr(s.faces, source, s.forgers, o.threshold, device,
                           o.report.empty() ? 0 : static_cast<std::size_t>(o.sheet_count),
                           [&](std::size_t done) { progress.update(static_cast<std::int64_t>(done)); });
  progress.finish();

  if (!o.report.empty()) write_attr_report(report_dir(o.report), run, s.forgers);
  if (o.json) {
    Json protection{{"protected", o.protected_dir}};
    if (o.protected_dir.empty())
      protection = Json{{"method", o.method},
                        {"epsilon", epsilon.value_or(o.method == "pg" ? s.generator->epsilon : o.epsilon)}};
    Json out{{"verb", "attr"}, {"threshold", o.threshold}, {"protection", protection}, {"forgers", Json::array()}};
    for (const auto& summary : run.summaries) {
      auto forger = std::find_if(s.forgers.begin(), s.forgers.end(),
                                 [&](const Forger& f) { return f.name == summary.forger; });
      Json row = summary_json(summary);
      row["path"] = forger->path;
      out["forgers"].push_back(row);
    }
    out["errors"] = run.problems;
    out["summary"] = Json{{"faces", s.faces.faces.size() + s.faces.problems.size()},
                          {"scored", run.scored_faces},
                          {"failed", run.problems.size()}};
    std::fputs(json_line(out).c_str(), stdout);
  } else if (!run.summaries.empty()) {
    std::fputs(attr_table(run.summaries).c_str(), stdout);
  }
  std::fflush(stdout);
  return finish(log, run.problems, static_cast<std::size_t>(run.scored_faces));
}

std::vector<double> parse_epsilons(const std::vector<std::string>& texts) {
  std::vector<double> out;
  for (const auto& t : texts) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != t.size() || !(v > 0 && v <= 1)) throw UsageError("--epsilons: '" + t + "' is not a number in (0, 1]");
    out.push_back(v);
  }
  if (out.empty()) throw UsageError("--epsilons: at least one value");
  return out;
}

int score_sweep_verb(const cli::Command& cmd, const Options& o) {
  check_attr_options(o, "sweep");
  if (!o.protected_dir.empty() || !o.method.empty() || cmd.given("epsilon") || cmd.given("sheet-count"))
    throw UsageError("sweep makes its own protection from --methods and --epsilons (not --protected, --method, "
                     "--epsilon, --sheet-count)");
  const std::vector<double> epsilons = parse_epsilons(o.epsilons);
  if (o.methods.empty()) throw UsageError("--methods: at least one method");
  for (const auto& m : o.methods) {
    const auto& all = protection_methods();
    if (std::find(all.begin(), all.end(), m) == all.end())
      throw UsageError("--methods: unknown method '" + m + "' (pg, pgd, ifgsm, fgsm, noise)");
    if (m == "pg" && o.model.empty()) throw UsageError("--methods " + m + " needs --model PG");
    if (is_attack_method(m) && o.target.empty()) throw UsageError("--methods " + m + " needs --target EDITOR");
  }
  cli::Log log(cmd.program(), cmd.common().quiet);
  torch::Device device(cmd.common().device);
  AttrSetup s = load_setup(o, device, log);

  const std::size_t per_run = s.faces.faces.size();
  cli::Progress progress(cmd.common(), "sweep", static_cast<std::int64_t>(per_run * epsilons.size() * o.methods.size()));
  std::vector<SweepRow> rows;
  std::vector<std::string> problems;
  std::size_t runs = 0;
  for (const auto& name : o.methods)
    for (double epsilon : epsilons) {
      ProtectionSettings settings = protection_settings(o, name, epsilon);
      AttrRun run = score_attr(
          s.faces, protect_on_the_fly(s, settings),
          s.forgers, o.threshold, device, 0,
          [&](std::size_t done) { progress.update(static_cast<std::int64_t>(runs * per_run + done)); });
      ++runs;
      for (const auto& summary : run.summaries) rows.push_back({name, epsilon, summary});
      problems.insert(problems.end(), run.problems.begin(), run.problems.end());
    }
  progress.finish();

  if (!o.report.empty() && !rows.empty()) {
    fs::path dir = report_dir(o.report);
    write_all((dir / "sweep.csv").string(), sweep_csv(rows));
    save_rgb8((dir / "psnr-vs-epsilon.png").string(), render_line_plot(sweep_psnr_plot(rows)));
    for (const auto& f : s.forgers) {
      save_rgb8((dir / ("dsr-vs-epsilon-" + f.name + ".png")).string(), render_line_plot(sweep_dsr_plot(rows, f.name)));
      save_rgb8((dir / ("l2-vs-epsilon-" + f.name + ".png")).string(), render_line_plot(sweep_l2_plot(rows, f.name)));
    }
  }
  if (o.json) {
    Json out{{"verb", "sweep"}, {"threshold", o.threshold}, {"rows", Json::array()}};
    for (const auto& r : rows) {
      Json row{{"method", r.method}, {"epsilon", r.epsilon}};
      row.update(summary_json(r.summary));
      out["rows"].push_back(row);
    }
    std::sort(problems.begin(), problems.end());
    problems.erase(std::unique(problems.begin(), problems.end()), problems.end());
    out["errors"] = problems;
    std::fputs(json_line(out).c_str(), stdout);
  } else if (!rows.empty()) {
    std::size_t mw = 6, fw = 6;
    for (const auto& r : rows) {
      mw = std::max(mw, r.method.size());
      fw = std::max(fw, r.summary.forger.size());
    }
    char buf[512];
    std::snprintf(buf, sizeof buf, "%-*s  %7s  %-*s  %8s  %6s  %9s  %7s\n", static_cast<int>(mw), "method", "epsilon",
                  static_cast<int>(fw), "forger", "PSNR(dB)", "SSIM", "L2", "DSR(%)");
    std::string out = buf;
    for (const auto& r : rows) {
      std::snprintf(buf, sizeof buf, "%-*s  %7.4f  %-*s  %8s  %6s  %9.6f  %7.2f\n", static_cast<int>(mw),
                    r.method.c_str(), r.epsilon, static_cast<int>(fw), r.summary.forger.c_str(),
                    format_metric(r.summary.psnr, 2).c_str(), format_metric(r.summary.ssim, 4).c_str(), r.summary.l2,
                    100 * r.summary.dsr);
      out += buf;
    }
    std::fputs(out.c_str(), stdout);
  }
  std::fflush(stdout);
  return finish(log, problems, per_run);
}

// video --face-crop: the faces as a forger's training data sees them (id-forge train-reenact),
// frame by frame where both videos have one.
int score_video_faces(const cli::Command& cmd, const Options& o, const cli::Log& log) {
  if (o.face_crop < 16) throw UsageError("--face-crop must be at least 16 pixels");
  TalkingHeadOptions read;
  read.size = o.face_crop;
  const TalkingHead a = cli::read_talking_head(cmd, o.args[1], read);
  const TalkingHead b = cli::read_talking_head(cmd, o.args[2], read);
  std::map<std::int64_t, std::int64_t> row_of_b;
  for (std::int64_t r = 0; r < b.count(); ++r) row_of_b[b.frame_numbers()[static_cast<std::size_t>(r)]] = r;
  std::vector<Scored> items;
  std::int64_t unmatched = 0;
  for (std::int64_t r = 0; r < a.count(); ++r) {
    const std::int64_t frame = a.frame_numbers()[static_cast<std::size_t>(r)];
    auto it = row_of_b.find(frame);
    if (it == row_of_b.end()) {
      ++unmatched;
      continue;
    }
    items.push_back({"frame " + std::to_string(frame),
                     score_images(tensor_to_rgb8(a.frames(TalkingHead::range(r, 1))[0]),
                                  tensor_to_rgb8(b.frames(TalkingHead::range(it->second, 1))[0]))});
  }
  unmatched += b.count() - static_cast<std::int64_t>(items.size());
  if (unmatched > 0)
    log.warn(std::to_string(unmatched) + " frames have a face in one video only and are left out");
  if (items.empty()) throw InputError(o.args[2], "has a face in none of the frames where '" + o.args[1] + "' has one");
  return print_image_scores(o, log, items, {}, "");
}

int score_video(const cli::Command& cmd, const Options& o) {
  if (o.args.size() != 3) throw UsageError("video needs two inputs: A B (two videos)");
  if (o.json && o.csv == "-") throw UsageError("--json and --csv - both want standard output");
  cli::Log log(cmd.program(), cmd.common().quiet);
  if (o.face_crop > 0) return score_video_faces(cmd, o, log);
  cli::Progress progress(cmd.common(), "video", VideoReader(o.args[1]).info().frame_count);
  const VideoPair pair = read_video_pair(o.args[1], o.args[2], nullptr, {},
                                         [&](std::int64_t n) { progress.update(n); });
  progress.finish();
  std::vector<Scored> items;
  for (std::size_t i = 0; i < pair.frames.size(); ++i) items.push_back({"frame " + std::to_string(i), pair.frames[i]});
  return print_image_scores(o, log, items, {}, "");
}

// The forger's models of the clean and of the protected video driven by the same landmarks;
// with a report folder, its frames CSV and contact sheet under the given names.
struct ReenactorPair {
  nets::Translator clean, poisoned;
};

// The forger's two models, refused when they work at different sizes.
ReenactorPair load_reenactors(const std::string& clean_model, const std::string& poisoned_model,
                              const torch::Device& device) {
  ReenactorPair m{load_reenactor_model(clean_model, device), load_reenactor_model(poisoned_model, device)};
  if (m.poisoned->config().image_size != m.clean->config().image_size)
    throw InputError(poisoned_model, "works on " + std::to_string(m.poisoned->config().image_size) + " px faces, "
                                     "the clean model on " + std::to_string(m.clean->config().image_size));
  return m;
}

ReenactSummary score_reenact_models(const cli::Command& cmd, const Options& o, const ReenactorPair& models,
                                    const std::string& driving, const std::string& prefix) {
  torch::Device device(cmd.common().device);
  nets::Translator clean = models.clean, poisoned = models.poisoned;  // holders: the same modules
  TalkingHeadOptions read;
  read.size = clean->config().image_size;
  const TalkingHead driver = cli::read_talking_head(cmd, driving, read);
  cli::Progress progress(cmd.common(), "reenact", driver.count());
  const auto frames = score_reenactment(*clean, *poisoned, driver, o.threshold, device,
                                        [&](std::int64_t n) { progress.update(n); });
  progress.finish();
  if (!o.report.empty()) {
    const fs::path dir = report_dir(o.report);
    std::string rows = csv_row({"frame", "l1", "l2", "disrupted", "clean_l1", "clean_l2", "poisoned_l1", "poisoned_l2"});
    for (const auto& f : frames)
      rows += csv_row({static_cast<double>(f.frame), f.l1, f.l2, f.disrupted ? 1.0 : 0.0, f.clean_l1, f.clean_l2,
                       f.poisoned_l1, f.poisoned_l2});
    write_all((dir / (prefix + "frames.csv")).string(), rows);
    torch::NoGradGuard no_grad;
    const std::int64_t n = std::min<std::int64_t>(std::max(o.sheet_count, 1), driver.count());
    const torch::Tensor rows_shown = torch::linspace(0, static_cast<double>(driver.count() - 1), n).round().to(torch::kLong);
    const torch::Tensor z = driver.sketches(rows_shown).to(device);
    save_rgb8((dir / (prefix + "sheet.png")).string(),
              tile_columns({z.cpu(), driver.frames(rows_shown), clean->forward(z).cpu(), poisoned->forward(z).cpu()}));
  }
  return summarize(frames);
}

Json reenact_json(const ReenactSummary& s) {
  return Json{{"frames", s.frames},     {"disrupted", s.disrupted}, {"dsr", s.dsr},
              {"l1", s.l1},             {"l2", s.l2},               {"clean_l1", s.clean_l1},
              {"clean_l2", s.clean_l2}, {"poisoned_l1", s.poisoned_l1}, {"poisoned_l2", s.poisoned_l2}};
}

void print_reenact_table(const ReenactSummary& s) {
  std::printf("%6s  %9s  %7s  %9s  %9s  %9s  %9s  %11s  %11s\n", "frames", "disrupted", "DSR(%)", "L1", "L2",
              "clean L1", "clean L2", "poisoned L1", "poisoned L2");
  std::printf("%6lld  %9lld  %7.2f  %9.6f  %9.6f  %9.6f  %9.6f  %11.6f  %11.6f\n", static_cast<long long>(s.frames),
              static_cast<long long>(s.disrupted), 100 * s.dsr, s.l1, s.l2, s.clean_l1, s.clean_l2, s.poisoned_l1,
              s.poisoned_l2);
}

int score_reenact_verb(const cli::Command& cmd, const Options& o) {
  if (o.forgers.size() != 1 || o.poisoned.empty())
    throw UsageError("reenact needs --forger MODEL (trained on the clean video) and --poisoned MODEL (trained on "
                     "the protected one)");
  if (o.args.size() != 2) throw UsageError("reenact takes one driving video (or folder of frames)");
  const ReenactorPair models = load_reenactors(o.forgers[0], o.poisoned, torch::Device(cmd.common().device));
  const ReenactSummary s = score_reenact_models(cmd, o, models, o.args[1], "");
  if (o.json) {
    Json out = reenact_json(s);
    out["verb"] = "reenact";
    out["threshold"] = o.threshold;
    std::fputs(json_line(out).c_str(), stdout);
  } else {
    print_reenact_table(s);
  }
  std::fflush(stdout);
  return 0;
}

// joint: one protected video against both threats (the attribute forgers on single frames'
// faces, the reenactment forger's two models), and what the protection did to the video.
int score_joint_verb(const cli::Command& cmd, const Options& o) {
  const bool attr = !o.forgers.empty(), reenact = !o.reenact_forger.empty() || !o.poisoned.empty();
  if (!attr && !reenact)
    throw UsageError("joint needs --forger EDITOR (the attribute threat), or --reenact-forger MODEL and --poisoned "
                     "MODEL (the reenactment threat), or both");
  if (reenact && (o.reenact_forger.empty() || o.poisoned.empty()))
    throw UsageError("joint needs both --reenact-forger MODEL and --poisoned MODEL for the reenactment threat");
  if (o.args.size() != (reenact ? 4u : 3u))
    throw UsageError(reenact ? "joint takes CLEAN_VIDEO PROTECTED_VIDEO DRIVING_VIDEO"
                             : "joint takes CLEAN_VIDEO PROTECTED_VIDEO (and DRIVING_VIDEO with the reenactment threat)");
  cli::Log log(cmd.program(), cmd.common().quiet);
  torch::Device device(cmd.common().device);
  // Every model first: a wrong file is an error before any frame is read.
  const std::vector<Forger> forgers = load_forgers(o.forgers, device);
  std::optional<ReenactorPair> reenactors;
  if (reenact) reenactors = load_reenactors(o.reenact_forger, o.poisoned, device);

  VideoPairOptions read;
  read.face_size = o.image_size ? o.image_size : attr ? forgers.front().model.editor->config().image_size : 64;
  read.frame_step = o.frame_step;
  read.max_faces = o.limit;
  std::unique_ptr<FaceDetector> detector;
  if (attr) detector = std::make_unique<FaceDetector>();
  cli::Progress progress(cmd.common(), "read", VideoReader(o.args[1]).info().frame_count);
  VideoPair pair = read_video_pair(o.args[1], o.args[2], detector.get(), read,
                                   [&](std::int64_t n) { progress.update(n); });
  progress.finish();
  std::vector<Scored> frames;
  for (std::size_t i = 0; i < pair.frames.size(); ++i) frames.push_back({std::to_string(i), pair.frames[i]});
  const ImageScores video = summary_of(frames);

  AttrRun run;
  if (attr) {
    log.info("scoring " + std::to_string(pair.faces.faces.size()) + " faces of every " +
             std::to_string(o.frame_step) + "th frame at " + std::to_string(read.face_size) + " px");
    cli::Progress faces(cmd.common(), "attr", static_cast<std::int64_t>(pair.faces.faces.size()));
    run = score_attr(pair.faces, [&](const FaceItem&, std::size_t i) { return pair.protected_faces[i]; }, forgers,
                     o.threshold, device, o.report.empty() ? 0 : static_cast<std::size_t>(o.sheet_count),
                     [&](std::size_t done) { faces.update(static_cast<std::int64_t>(done)); });
    faces.finish();
  }
  std::optional<ReenactSummary> reenactment;
  if (reenactors) reenactment = score_reenact_models(cmd, o, *reenactors, o.args[3], "reenact-");

  if (!o.report.empty()) {
    const fs::path dir = report_dir(o.report);
    std::string rows = csv_row({"frame", "psnr", "ssim", "l1", "l2"});
    for (std::size_t i = 0; i < pair.frames.size(); ++i)
      rows += csv_row({static_cast<double>(i), pair.frames[i].psnr, pair.frames[i].ssim, pair.frames[i].l1,
                       pair.frames[i].l2});
    write_all((dir / "video.csv").string(), rows);
    if (attr) write_attr_report(dir, run, forgers);
  }
  if (o.json) {
    Json out{{"verb", "joint"}, {"threshold", o.threshold}};
    out["video"] = Json{{"frames", pair.frames.size()}, {"psnr", video.psnr}, {"ssim", video.ssim},
                        {"l1", video.l1},               {"l2", video.l2}};
    out["attr"] = Json();
    if (attr) {
      Json a{{"faces", pair.faces.faces.size()}, {"forgers", Json::array()}};
      for (const auto& summary : run.summaries) a["forgers"].push_back(summary_json(summary));
      out["attr"] = a;
    }
    out["reenact"] = reenactment ? reenact_json(*reenactment) : Json();
    out["errors"] = run.problems;
    std::fputs(json_line(out).c_str(), stdout);
  } else {
    std::printf("video: %zu frames, PSNR %s dB, SSIM %s\n", pair.frames.size(), format_metric(video.psnr, 2).c_str(),
                format_metric(video.ssim, 4).c_str());
    if (attr) {
      std::printf("\nattribute forgers, faces of every %dth frame:\n", o.frame_step);
      std::fputs(attr_table(run.summaries).c_str(), stdout);
    }
    if (reenactment) {
      std::printf("\nreenactment forger, driven by '%s':\n", o.args[3].c_str());
      print_reenact_table(*reenactment);
    }
  }
  std::fflush(stdout);
  return finish(log, run.problems, static_cast<std::size_t>(run.scored_faces));
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run_tool("id-score", [&] {
    cli::Command cmd("id-score", "measure pictures and protection: PSNR, SSIM, L1, L2, LPIPS, and DSR against forgers");
    Options o;
    define(cmd, o);
    if (!cmd.parse(argc, argv)) return 0;
    const std::string& verb = o.args.front();
    if (verb == "image") return score_image(cmd, o);
    if (verb == "attr") return score_attr_verb(cmd, o);
    if (verb == "sweep") return score_sweep_verb(cmd, o);
    if (verb == "video") return score_video(cmd, o);
    if (verb == "reenact") return score_reenact_verb(cmd, o);
    if (verb == "joint") return score_joint_verb(cmd, o);
    throw UsageError("unknown verb '" + verb + "' (image, attr, sweep, video, reenact, joint)");
  });
}
