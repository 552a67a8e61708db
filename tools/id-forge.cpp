// id-forge: the forger simulator. Trains StarGAN-like attribute editors and pix2pix-style
// reenactment models (the models the defence is measured against), applies them, and
// scores editors against the true counterfactuals of synthetic faces.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "cli/progress.h"
#include "cli/training_options.h"
#include "cli/video_frames.h"
#include "core/error.h"
#include "core/folder_walk.h"
#include "core/interrupt.h"
#include "data/attributes.h"
#include "data/talking_head.h"
#include "data/face_dataset.h"
#include "io/image.h"
#include "io/rgb_video_sink.h"
#include "io/tensor_image.h"
#include "metrics/editor_eval.h"
#include "model/editor_model.h"
#include "model/pytorch_import.h"
#include "model/translator_model.h"
#include "report/text_format.h"
#include "training/editor_training.h"
#include "training/reenactor_training.h"

namespace fs = std::filesystem;
using namespace idef;

namespace {

// Training options bind straight to the library's settings (cli/training_options.h).
struct Options {
  std::vector<std::string> args;  // VERB, then inputs for edit
  std::string data, output, model, reenactor;
  std::string discriminator, key, discriminator_key;  // import
  std::vector<std::string> source_attributes;  // edit: what the input faces are, when known
  EditorTrainingOptions train;                 // train-editor; its attributes and batch serve edit and eval too
  DatasetOptions dataset;                      // split, crop, limit (the size: train.net.image_size)
  Pix2PixSettings pix2pix;                     // train-reenact: what the StarGAN block does not cover
  DataParallelOptions parallel;                // train-editor, train-reenact
  std::int64_t max_frames = 0;                 // train-reenact, reenact
  bool compare = false;                        // reenact
  std::int64_t seed = 1;
  bool json = false;
  Options() { train.attributes = {"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"}; }  // StarGAN's five
};

// The help's prose and examples.
void describe(cli::Command& cmd) {
  cmd.synopsis("train-editor --data DIR --output MODEL [OPTION]...")
      .synopsis("edit --editor MODEL --output DIR [OPTION]... IMAGE|DIR|-...")
      .synopsis("eval --editor MODEL --data DIR [OPTION]...")
      .synopsis("train-reenact --output MODEL [OPTION]... VIDEO|FRAMES_DIR")
      .synopsis("reenact --reenactor MODEL --output VIDEO [OPTION]... DRIVING_VIDEO|FRAMES_DIR")
      .synopsis("import --output MODEL [--discriminator CHECKPOINT] [OPTION]... CHECKPOINT")
      .description(
          "train-editor trains the forger's attribute editor (res6, res9, cnet, unet64, unet128, unet256) with StarGAN's "
          "recipe (WGAN-GP, n_critic critic steps per generator step, domain classification, cycle "
          "reconstruction, Adam, linear learning-rate decay) on a CelebA-layout folder. It writes a checkpoint "
          "every --checkpoint-every iterations and on SIGINT/SIGTERM; --resume continues from it. edit applies "
          "an editor to face crops, one output per domain: NAME.ATTRIBUTE.png. eval scores an editor on "
          "synthetic faces (id-synth) against their true counterfactuals: per attribute, the mean L1 of the "
          "edit to the counterfactual next to the do-nothing L1 of the input to it; then the editor's "
          "reconstruction error (its output on the input's own labels against the input) and the L1 between "
          "the change it makes and the true change, whose do-nothing figure is the same, split into its part "
          "inside the pixels the true edit changes (in) and outside them (out: an edit that spills over the "
          "picture); last the reduction of the edits that turn the attribute on and of those that turn it off "
          "(a hair colour is only ever set). --json adds to_on and to_off with their counts and L1s. "
          "train-reenact trains a Face2Face-style reenactment model of the person in a video: every frame's "
          "face is aligned to an --image-size crop and dlib's 68 landmarks are drawn as a sketch, and a "
          "pix2pix translator learns sketch -> frame (conditional PatchGAN, L1 weight --lambda-l1, Adam "
          "2e-4 unless --lr-g/--lr-d, batch 1 unless --batch). Frames without a face are reported and "
          "skipped. reenact drives a trained model with another video's landmarks and writes the frames it "
          "makes (y4m for .y4m or -, otherwise a video file by extension; --compare puts the sketch, the "
          "model's frame and the driving face side by side). "
          "import reads a published PyTorch generator (the zip checkpoint of torch.save: a state dict, or a dict "
          "holding one under --key) and writes it as a toolkit model: StarGAN's Generator becomes an editor "
          "(res6, res9 or cnet; its domains are --attributes, StarGAN's CelebA five by default; its size is "
          "--image-size, else its discriminator's, else 128) for edit, id-score attr, id-poison --target and "
          "id-train-attr --surrogate-init; pix2pix's UnetGenerator or ResnetGenerator (BatchNorm or "
          "InstanceNorm, with or without dropout) becomes a reenactment model (--image-size, else 256) for "
          "reenact and id-score reenact. --discriminator adds the matching discriminator (StarGAN's, or "
          "pix2pix's PatchGAN), used when training starts from the model. Widths, depths and label counts "
          "are read off the tensors; a key missing, left over or of another shape is an error naming it. "
          "Norms normalise each image with its own statistics, as the published test scripts run them "
          "(running statistics are not used); dropout is left out. Checkpoints in PyTorch's legacy format "
          "(before 1.6) are refused with the command that re-saves them.")
      .example("id-forge train-editor --data faces --arch res6 --width 16 --image-size 64 --iterations 20000 "
               "--output res6.idm",
               "train a small editor on 64 px synthetic faces")
      .example("id-forge eval --editor res6.idm --data faces-test", "score it on held-out synthetic faces")
      .example("id-forge train-reenact --arch unet64 --width 32 --image-size 64 --iterations 5000 "
               "--output person.idm person.mp4",
               "learn a person's face from their video")
      .example("id-forge reenact --reenactor person.idm --compare --output fake.mp4 driver.mp4",
               "make the person follow another video's face")
      .example("id-forge import --discriminator 200000-D.ckpt --output stargan-celeba.idm 200000-G.ckpt",
               "StarGAN's published CelebA model as a toolkit editor");
}

void define(cli::Command& cmd, Options& o) {
  describe(cmd);
  cmd.positional("VERB", &o.args, "train-editor, edit, eval, train-reenact, reenact or import, then the inputs of "
                                  "edit, train-reenact, reenact and import (train-attr: the old name of train-editor)")
      .option("data", &o.data, "DIR", "CelebA-layout folder (img_align_celeba/, list_attr_celeba.txt)",
              cli::ValueKind::Directory)
      .option("output", &o.output, "PATH", "train-editor: the model file; edit: the output folder",
              cli::ValueKind::File, 'o')
      .option("editor", &o.model, "FILE", "the editor model file (edit, eval)", cli::ValueKind::File, 'm')
      .alias("model")
      .option("reenactor", &o.reenactor, "FILE", "the reenactment model file (reenact)", cli::ValueKind::File)
      .list("attributes", &o.train.attributes, "LIST", "domain attributes, comma-separated (train-editor); the "
                                                 "domains to apply (edit)")
      .list("source-attributes", &o.source_attributes, "LIST",
            "edit: the attributes the input faces have among the model's domains ('none' for none); each edit "
            "then changes one attribute from them, as StarGAN's test does (a hair colour set, any other "
            "attribute flipped); without it each domain is that one attribute on and the others off")
      .choice("arch", &o.train.net.arch, nets::editor_architectures(), "editor architecture")
      .option("width", &o.train.net.width, "N", "editor width (conv_dim / ngf)")
          .range(1, 4096)
      .option("d-width", &o.train.d_width, "N", "discriminator width (conv_dim)")
          .range(1, 4096)
      .option("image-size", &o.train.net.image_size, "PX", "training image size")
          .range(8, 4096)
      .option("crop", &o.dataset.crop, "PX", "centre square cut before resizing (0: the shorter side; 178 for CelebA)")
          .range(0, 1e5)
      .option("batch", &o.train.batch, "N", "batch size")
          .range(1, 4096)
      .option("iterations", &o.train.stargan.iterations, "N", "training iterations")
          .range(1, 1e9)
      .option("decay-iterations", &o.train.stargan.decay_iterations, "N", "decay the learning rates linearly to 0 over the "
                                                            "last N iterations")
          .range(0, 1e9);
  cli::add_stargan_options(cmd, o.train.stargan);
  cmd.option("lambda-adv", &o.train.stargan.lambda_adv, "W", "weight of the generator's adversarial loss (1: StarGAN's recipe)")
          .range(0, 1e6)
      .option("lambda-edit", &o.train.stargan.lambda_edit, "W", "weight of |G(x, c') - x| on the edits: no change beyond the "
                                                  "attribute (0: StarGAN's recipe)")
          .range(0, 1e6)
      .option("warmup-iterations", &o.train.stargan.warmup_iterations, "N", "train the generator alone on the identity loss "
                                                             "for the first N iterations (0: StarGAN's recipe)")
          .range(0, 1e9)
      .option("warmup-decay-iterations", &o.train.stargan.warmup_decay_iterations, "N",
              "decay the learning rates linearly to 0 over the warm-up's last N iterations too; the adversarial "
              "phase then starts from the full rates (0: the warm-up follows --decay-iterations)")
          .range(0, 1e9)
      .option("warmup-batch", &o.train.warmup_batch, "N", "the warm-up's batch size (0: --batch)")
          .range(0, 4096)
      .choice("split", &o.dataset.split, {"train", "val", "test", "all"}, "which part of the dataset to use")
      .option("limit", &o.dataset.limit, "N", "use at most the first N images of the split (-1: all)")
          .range(-1, 1e12)
      .option("seed", &o.seed, "N", "random seed (weights, batches, flips)");
  cli::add_checkpoint_options(cmd, o.train, "write sample sheets (inputs and each domain's edit) here");
  cli::add_data_parallel_options(cmd, o.parallel);
  cmd.flag("json", &o.json, "eval: print the table as JSON")
      .option("lambda-l1", &o.pix2pix.lambda_l1, "W", "train-reenact: weight of the L1 term (pix2pix: 100)")
          .range(0, 1e6)
      .option("max-frames", &o.max_frames, "N", "train-reenact, reenact: use at most the first N frames with a face "
                                                "(0: all)")
          .range(0, 1e12)
      .flag("compare", &o.compare, "reenact: write sketch | reenactment | driving face side by side")
      .option("discriminator", &o.discriminator, "CHECKPOINT", "import: the generator's discriminator (may be "
                                                               "the generator's own file, with --discriminator-key)",
              cli::ValueKind::File)
      .option("key", &o.key, "NAME", "import: the generator's entry in a checkpoint that is a dict of several "
                                     "state dicts (default: its only one)")
      .option("discriminator-key", &o.discriminator_key, "NAME", "import: the discriminator's entry, likewise");
}

int import_model(const cli::Command& cmd, const Options& o) {
  if (o.args.size() != 2) throw UsageError("import takes one checkpoint (the generator's)");
  if (o.output.empty()) throw UsageError("import needs --output MODEL");
  ImportOptions in;
  in.generator = o.args[1];
  in.generator_key = o.key;
  in.discriminator = o.discriminator;
  in.discriminator_key = o.discriminator_key;
  if (cmd.given("attributes")) in.attributes = o.train.attributes;
  if (cmd.given("image-size")) in.image_size = o.train.net.image_size;
  if (!o.discriminator_key.empty() && o.discriminator.empty())
    throw UsageError("--discriminator-key needs --discriminator");
  cli::Log log(cmd.program(), cmd.common().quiet);
  log.info(import_pytorch_model(in, o.output));
  log.info("wrote " + o.output);
  return 0;
}

int train(const cli::Command& cmd, const Options& o) {
  if (o.data.empty() || o.output.empty()) throw UsageError("train-editor needs --data and --output");
  if (o.args.size() > 1) throw UsageError("train-editor takes no inputs besides --data");
  EditorTrainingOptions t = o.train;
  StarGanSettings& g = t.stargan;
  if (t.attributes.empty()) throw UsageError("--attributes: at least one attribute");
  if (g.warmup_iterations >= g.iterations) throw UsageError("--warmup-iterations must be less than --iterations");
  if (g.warmup_decay_iterations > g.warmup_iterations)
    throw UsageError("--warmup-decay-iterations must be at most --warmup-iterations");
  g.decay_iterations = std::min(g.decay_iterations, g.iterations);
  t.net.c_dim = static_cast<int>(t.attributes.size());
  nets::make_editor(t.net);  // refuses an unsupported size before the data is read
  t.seed = static_cast<std::uint64_t>(o.seed);
  t.output = o.output;
  t.device = cmd.common().device;
  cli::Log log(cmd.program(), cmd.common().quiet);
  const DataParallel parallel(cli::resolve_data_parallel(cmd, o.parallel));

  DatasetOptions d = o.dataset;
  d.attributes = t.attributes;
  d.image_size = t.net.image_size;
  d.shard_index = parallel.rank();
  d.shard_count = parallel.world_size();
  int skipped = 0;
  FaceDataset data = FaceDataset::celeba(o.data, d, [&](const std::string& w) {
    ++skipped;
    log.warn(w);
  });
  log.info("training " + t.net.arch + " on " + std::to_string(data.size()) + " images of '" + o.data + "'" +
           (skipped ? " (" + std::to_string(skipped) + " skipped)" : "") +
           (parallel.distributed() ? " (" + cli::rank_in_world(parallel) + ": its share)"
                                   : ""));

  cli::Progress progress(cmd.common(), "train-editor", g.iterations);
  TrainingEvents events;
  events.iteration = cli::LossReport(progress, {"D/loss_real", "D/loss_fake", "D/loss_gp", "G/loss_rec", "G/loss_cls", "G/loss_id"});
  events.message = [&](const std::string& m) { log.info(m); };
  TrainingResult result = train_editor(t, data, events, parallel);
  if (result == TrainingResult::Interrupted) return 128 + interrupt_signal();
  progress.finish();
  log.info(cli::written_message(parallel, o.output));
  return 0;
}

// StarGAN's targets from the faces' own attributes, named by the user.
std::vector<torch::Tensor> source_domains(const std::vector<std::string>& source,
                                          const std::vector<std::string>& attributes) {
  torch::Tensor own = torch::zeros({1, static_cast<std::int64_t>(attributes.size())});
  const bool none = source.size() == 1 && source[0] == "none";
  int hair_colours = 0;
  for (const auto& a : none ? std::vector<std::string>{} : source) {
    auto it = std::find(attributes.begin(), attributes.end(), a);
    if (it == attributes.end()) {
      std::string known;
      for (const auto& m : attributes) known += (known.empty() ? "" : ", ") + m;
      throw UsageError("--source-attributes: the model has no domain '" + a + "' (its domains: " + known +
                       "; 'none' alone for none)");
    }
    if (is_hair_colour(a) && ++hair_colours > 1) throw UsageError("--source-attributes: a face has one hair colour");
    own[0][it - attributes.begin()] = 1.0f;
  }
  return target_domain_labels(own, attributes);
}

int edit(const cli::Command& cmd, const Options& o) {
  if (o.model.empty()) throw UsageError("edit needs --editor");
  std::vector<std::string> inputs(o.args.begin() + 1, o.args.end());
  if (inputs.empty()) throw UsageError("edit needs at least one input (an image, a folder or -)");
  bool to_stdout = inputs.size() == 1 && inputs[0] == "-" && o.output.empty();
  if (!to_stdout && o.output.empty()) throw UsageError("edit needs --output DIR (or a single - input for stdout)");
  cli::Log log(cmd.program(), cmd.common().quiet);
  torch::Device device(cmd.common().device);
  EditorModel model = load_editor_model(o.model, device);
  // Domains: all of the model's unless --attributes names some of them.
  std::vector<int> domains;
  bool explicit_attrs = cmd.given("attributes");
  for (std::size_t j = 0; j < model.attributes.size(); ++j)
    if (!explicit_attrs ||
        std::find(o.train.attributes.begin(), o.train.attributes.end(), model.attributes[j]) != o.train.attributes.end())
      domains.push_back(static_cast<int>(j));
  for (const auto& a : o.train.attributes)
    if (explicit_attrs && std::find(model.attributes.begin(), model.attributes.end(), a) == model.attributes.end())
      throw UsageError("--attributes: the model has no domain '" + a + "'");
  // Without the faces' own attributes, each edit is its one attribute on and the others off.
  const std::vector<torch::Tensor> labels = cmd.given("source-attributes")
                                                ? source_domains(o.source_attributes, model.attributes)
                                                : one_attribute_domains(static_cast<int>(model.attributes.size()));
  if (to_stdout && domains.size() != 1) throw UsageError("editing stdin to stdout needs exactly one --attributes domain");

  std::vector<std::pair<std::string, std::string>> files;  // (path, name relative to its input)
  for (const auto& in : inputs) {
    if (in != "-" && fs::is_directory(in)) {
      for (const auto& name : walk_folder(in)) files.emplace_back((fs::path(in) / name).string(), name);
    } else {
      files.emplace_back(in, in == "-" ? "stdin" : fs::path(in).filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  const int size = model.editor->config().image_size;
  int failed = 0;
  torch::NoGradGuard no_grad;
  cli::Progress progress(cmd.common(), "edit", static_cast<std::int64_t>(files.size()));
  std::int64_t done = 0;
  for (const auto& [path, name] : files) {
    try {
      Rgb8 face = prepare_face(Image::load(path).rgb(), o.dataset.crop, size);
      torch::Tensor x = rgb8_to_tensor(face).to(device);
      for (int j : domains) {
        Rgb8 out = tensor_to_rgb8(model.editor->forward(x, labels[j].to(device)).to(torch::kCPU));
        if (to_stdout) {
          save_rgb8("-", out, ImageSaveOptions{95, false, "png"});
        } else {
          fs::path dest = fs::path(o.output) / name;
          dest.replace_filename(dest.stem().string() + "." + model.attributes[j] + ".png");
          fs::create_directories(dest.parent_path());
          save_rgb8(dest.string(), out);
        }
      }
    } catch (const InputError& e) {
      log.error(e.what());
      ++failed;
    }
    progress.update(++done);
  }
  progress.finish();
  if (failed) {
    log.error(std::to_string(failed) + " of " + std::to_string(files.size()) + " inputs failed");
    return 1;
  }
  return 0;
}

int eval(const cli::Command& cmd, const Options& o) {
  if (o.model.empty() || o.data.empty()) throw UsageError("eval needs --editor and --data");
  torch::Device device(cmd.common().device);
  EditorModel model = load_editor_model(o.model, device);
  DatasetOptions d;
  d.split = o.dataset.split;
  d.limit = o.dataset.limit;
  d.crop = o.dataset.crop;
  auto scores = evaluate_editor(model, o.data, d, o.train.batch, device);
  AttributeEditScore mean;
  mean.attribute = "mean";
  for (const auto& s : scores) {
    const double w = 1.0 / static_cast<double>(scores.size());
    mean.l1_edit += w * s.l1_edit;
    mean.l1_nothing += w * s.l1_nothing;
    mean.l1_reconstruction += w * s.l1_reconstruction;
    mean.l1_change += w * s.l1_change;
    mean.l1_change_inside += w * s.l1_change_inside;
    mean.l1_change_outside += w * s.l1_change_outside;
  }
  if (o.json) {
    auto fields = [](Json j, const AttributeEditScore& s) {
      j["l1_edit"] = s.l1_edit;
      j["l1_nothing"] = s.l1_nothing;
      j["reduction"] = s.reduction();
      j["l1_reconstruction"] = s.l1_reconstruction;
      j["l1_change"] = s.l1_change;
      j["change_reduction"] = s.change_reduction();
      j["l1_change_inside"] = s.l1_change_inside;
      j["l1_change_outside"] = s.l1_change_outside;
      return j;
    };
    auto direction = [](const DirectionScore& d) {
      return Json{{"count", d.count}, {"l1_edit", d.l1_edit}, {"l1_nothing", d.l1_nothing}, {"reduction", d.reduction()}};
    };
    Json out{{"model", o.model}, {"attributes", Json::array()}};
    for (const auto& score : scores) {
      Json row = fields(Json{{"attribute", score.attribute}, {"count", score.count}}, score);
      row["to_on"] = direction(score.to_on);
      row["to_off"] = direction(score.to_off);
      out["attributes"].push_back(row);
    }
    out["mean"] = fields(Json::object(), mean);
    out["mean_l1_edit"] = mean.l1_edit;
    out["mean_l1_nothing"] = mean.l1_nothing;
    out["mean_reduction"] = mean.reduction();
    std::fputs(json_line(out).c_str(), stdout);
  } else {
    std::printf("%-14s %7s %9s %11s %10s %9s %10s %10s %9s %9s %9s %9s\n", "attribute", "count", "L1 edit", "L1 nothing",
                "reduction", "L1 recon", "L1 change", "reduction", "in", "out", "to on", "to off");
    // A direction no face took reads '-'.
    auto percent = [](const DirectionScore& d) {
      char buf[16];
      if (d.count == 0) return std::string("-");
      std::snprintf(buf, sizeof buf, "%.1f%%", 100 * d.reduction());
      return std::string(buf);
    };
    auto row = [&](const AttributeEditScore& s, const std::string& count, bool directions) {
      std::printf("%-14s %7s %9.4f %11.4f %9.1f%% %9.4f %10.4f %9.1f%% %9.4f %9.4f %9s %9s\n", s.attribute.c_str(),
                  count.c_str(), s.l1_edit, s.l1_nothing, 100 * s.reduction(), s.l1_reconstruction, s.l1_change,
                  100 * s.change_reduction(), s.l1_change_inside, s.l1_change_outside,
                  directions ? percent(s.to_on).c_str() : "", directions ? percent(s.to_off).c_str() : "");
    };
    for (const auto& s : scores) row(s, std::to_string(s.count), true);
    row(mean, "", false);
  }
  return 0;
}

// The one video (or folder of frames) a reenactment verb takes.
std::string video_input(const Options& o, const char* verb) {
  if (o.args.size() != 2) throw UsageError(std::string(verb) + " takes one video or folder of frames");
  return o.args[1];
}

int train_reenact(const cli::Command& cmd, const Options& o) {
  if (o.output.empty()) throw UsageError("train-reenact needs --output");
  const std::string input = video_input(o, "train-reenact");
  ReenactorTrainingOptions t;
  // The shared options with pix2pix's defaults where the user gave none.
  t.net.arch = o.train.net.arch;
  t.net.width = cmd.given("width") ? o.train.net.width : 64;
  t.net.image_size = o.train.net.image_size;
  t.d_width = o.train.d_width;
  t.batch = cmd.given("batch") ? o.train.batch : 1;
  t.pix2pix = o.pix2pix;
  if (cmd.given("lr-g")) t.pix2pix.lr_g = o.train.stargan.lr_g;
  if (cmd.given("lr-d")) t.pix2pix.lr_d = o.train.stargan.lr_d;
  if (cmd.given("iterations")) t.pix2pix.iterations = o.train.stargan.iterations;
  t.pix2pix.decay_iterations = std::min(cmd.given("decay-iterations") ? o.train.stargan.decay_iterations
                                                                      : t.pix2pix.iterations / 2,
                                        t.pix2pix.iterations);
  t.seed = static_cast<std::uint64_t>(o.seed);
  t.output = o.output;
  t.checkpoint = o.train.checkpoint;
  t.checkpoint_every = o.train.checkpoint_every;
  t.resume = o.train.resume;
  t.samples_dir = o.train.samples_dir;
  t.sample_every = o.train.sample_every;
  t.device = cmd.common().device;
  nets::make_translator(t.net);  // refuses an unsupported size before the video is read
  cli::Log log(cmd.program(), cmd.common().quiet);
  TalkingHeadOptions read;
  read.size = t.net.image_size;
  read.max_frames = o.max_frames;
  const DataParallel parallel(cli::resolve_data_parallel(cmd, o.parallel));
  const TalkingHead head = cli::read_talking_head(cmd, input, read);
  log.info("training " + t.net.arch + " on " + std::to_string(head.count()) + " frames of '" + input + "'" +
           (parallel.distributed() ? " (" + cli::rank_in_world(parallel) + ": every " +
                                         std::to_string(parallel.world_size()) + "th frame from its rank)"
                                   : ""));
  cli::Progress progress(cmd.common(), "train-reenact", t.pix2pix.iterations);
  TrainingEvents events;
  events.iteration = cli::LossReport(progress, {"D/loss_real", "D/loss_fake", "G/loss_gan", "G/loss_l1"});
  events.message = [&](const std::string& m) { log.info(m); };
  if (train_reenactor(t, head, events, parallel) == TrainingResult::Interrupted) return 128 + interrupt_signal();
  progress.finish();
  log.info(cli::written_message(parallel, o.output));
  return 0;
}

int reenact(const cli::Command& cmd, const Options& o) {
  if (o.reenactor.empty() || o.output.empty()) throw UsageError("reenact needs --reenactor and --output");
  const std::string input = video_input(o, "reenact");
  torch::Device device(cmd.common().device);
  nets::Translator model = load_reenactor_model(o.reenactor, device);
  const int size = model->config().image_size;
  TalkingHeadOptions read;
  read.size = size;
  read.max_frames = o.max_frames;
  const TalkingHead driver = cli::read_talking_head(cmd, input, read);
  RgbVideoSink sink(o.output, o.compare ? 3 * size : size, size, driver.frame_rate());
  torch::NoGradGuard no_grad;
  cli::Progress progress(cmd.common(), "reenact", driver.count());
  constexpr std::int64_t kBatch = 8;
  for (std::int64_t first = 0; first < driver.count(); first += kBatch) {
    torch::Tensor rows = TalkingHead::range(first, std::min(kBatch, driver.count() - first));
    torch::Tensor z = driver.sketches(rows);
    torch::Tensor y = model->forward(z.to(device)).to(torch::kCPU);
    if (o.compare) y = torch::cat({z, y, driver.frames(rows)}, 3);
    for (const Rgb8& frame : tensor_to_rgb8_batch(y)) sink.write(frame);
    progress.update(first + rows.size(0));
  }
  sink.finish();
  progress.finish({{"output", o.output}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run_tool("id-forge", [&] {
    cli::Command cmd("id-forge", "train, apply and score the face-manipulation models a forger would use");
    Options o;
    define(cmd, o);
    if (!cmd.parse(argc, argv)) return 0;
    std::string verb = o.args.front();
    if (verb == "train-attr") {  // the old name, from before id-train-attr's defence had the same one
      std::cerr << "id-forge: train-attr is deprecated: use train-editor\n";
      verb = "train-editor";
    }
    if (verb != "train-editor" && verb != "train-reenact")
      for (const char* option : {"rank", "world-size", "master-addr", "master-port", "rendezvous-file"})
        if (cmd.given(option))
          throw UsageError(std::string("--") + option + ": only train-editor and train-reenact train data-parallel");
    if (verb == "train-editor") return train(cmd, o);
    if (verb == "edit") return edit(cmd, o);
    if (verb == "eval") return eval(cmd, o);
    if (verb == "train-reenact") return train_reenact(cmd, o);
    if (verb == "reenact") return reenact(cmd, o);
    if (verb == "import") return import_model(cmd, o);
    throw UsageError("unknown verb '" + verb + "' (train-editor, edit, eval, train-reenact, reenact, import)");
  });
}
