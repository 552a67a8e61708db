// id-synth: synthetic faces in CelebA's layout, with counterfactuals and landmarks, and
// synthetic talking-head videos (docs/method.md#data). A thin shell over lib/data.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/progress.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "data/celeba_layout.h"
#include "data/portrait_animation.h"
#include "data/synth_face.h"
#include "face/detector.h"
#include "io/image.h"
#include "io/rgb_video_sink.h"
#include "io/y4m.h"

namespace {

using namespace idef;

struct Options {
  std::int64_t count = 100;
  int size = 128;
  std::int64_t seed = 1;
  std::int64_t start_index = 0;
  bool counterfactuals = false;
  bool lossy_edits = false;
  std::vector<std::string> attributes;
  std::string split = "0.8,0.1,0.1";
  int frames = 100;
  double fps = 25;
  std::string landmarks, portrait;
  std::vector<std::string> args;  // VERB OUTPUT
};

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

void define(cli::Command& cmd, Options& o) {
  cmd.synopsis("faces [OPTION]... OUTDIR")
      .synopsis("video [OPTION]... OUT")
      .description(
          "Renders deterministic synthetic faces, the stand-in for face data sets that cannot be "
          "downloaded here. 'faces' writes CelebA's layout into OUTDIR: img_align_celeba/000001.png ..., "
          "list_attr_celeba.txt (the 40 CelebA attributes, +1/-1), list_eval_partition.txt (0 train, "
          "1 validation, 2 test), list_landmarks_68.txt (68 points in dlib's order, in pixels) and, with "
          "--counterfactuals, counterfactuals/ATTRIBUTE/000001.png: the same face with that one attribute "
          "changed (a hair colour is set, any other attribute flipped) and nothing else. 'video' writes a "
          "talking head (speech, blinks, small head motion) of one face as y4m (OUT ending in .y4m, or - for "
          "standard output) or as a video file chosen by OUT's extension (.mp4, .mkv, ...); with --portrait the "
          "talking head is that real photo, its face found by dlib and its landmarks moved (speech, blinks, head "
          "motion) and the photo warped piecewise-affinely after them, at the photo's own size. Every face "
          "depends only on --seed and its index, so shards made with --start-index add up to the same data "
          "set. Images are PNG (lossless). Editable attributes: " +
          joined(synth::editable_attributes()) + ".")
      .example("id-synth faces --count 2000 --size 64 data/synth", "a small CelebA-like training set")
      .example("id-synth faces --count 1000 --start-index 2000 data/synth-more",
               "the next 1000 faces of the same data set")
      .example("id-synth faces --count 100 --counterfactuals --attributes Black_Hair,Eyeglasses data/cf",
               "faces with their ground-truth edits")
      .example("id-synth video --frames 250 --size 256 --landmarks talk.txt talk.y4m",
               "ten seconds of a talking head with its landmarks")
      .example("id-synth video --portrait astronaut.png --frames 1500 astronaut-talk.mp4",
               "a minute of a real portrait talking")
      .option("count", &o.count, "N", "faces: number of faces to write")
          .range(0, 1e9)
      .option("size", &o.size, "PX", "width and height of the pictures in pixels (32-256 tuned)")
          .range(8, 4096)
      .option("seed", &o.seed, "N", "random seed of the data set")
          .range(0, 9.2e18)
      .option("start-index", &o.start_index, "N",
              "index of the first face (file number start-index+1); video: the face to animate")
          .range(0, 1e15)
      .flag("counterfactuals", &o.counterfactuals, "faces: also write counterfactuals/ATTRIBUTE/")
      .flag("lossy-edits", &o.lossy_edits,
            "faces: the same faces, but edits lose what they replace: a beard style and long-hair length "
            "of their own (a Male edit cannot be undone from the picture) and black hair whose shade barely shows")
      .list("attributes", &o.attributes, "LIST",
            "faces: attributes to write counterfactuals for (comma-separated; default: every editable one)")
      .option("split", &o.split, "TRAIN,VAL,TEST", "faces: fractions of the train/validation/test partition")
      .option("frames", &o.frames, "N", "video: number of frames")
          .range(1, 1e7)
      .option("fps", &o.fps, "RATE", "video: frames per second")
      .option("landmarks", &o.landmarks, "FILE",
              "video: write the 68 landmarks of every frame to FILE ('frame x0 y0 ... x67 y67' per line)",
              cli::ValueKind::File)
      .option("portrait", &o.portrait, "PHOTO", "video: animate this real portrait instead of a synthetic face",
              cli::ValueKind::File)
      .positional("VERB", &o.args, "faces OUTDIR, or video OUT");
}

Rational rate_of(double fps) {
  if (std::fabs(fps - std::round(fps)) < 1e-9) return {int(std::lround(fps)), 1};
  return {int(std::lround(fps * 1001)), 1001};
}

int run_faces(const cli::Command& cmd, const Options& o, const std::string& out) {
  synth::CelebaWriteOptions w;
  w.seed = std::uint64_t(o.seed);
  w.count = o.count;
  w.start_index = o.start_index;
  w.size = o.size;
  w.split = synth::parse_split(o.split);
  w.counterfactuals = o.counterfactuals;
  w.lossy_edits = o.lossy_edits;
  w.counterfactual_attributes = o.attributes;
  cli::Progress progress(cmd.common(), "faces", o.count);
  w.on_face = [&progress](std::int64_t done) { progress.update(done); };
  synth::write_celeba(out, w);
  progress.finish({{"output", out}});
  return 0;
}

// The frames of a talking head: a synthetic face, or a real portrait animated.
using FrameMaker = std::function<Rgb8(double t_seconds, Landmarks& landmarks)>;

FrameMaker synthetic_head(const Options& o) {
  const synth::FaceParams base = synth::sample_face(std::uint64_t(o.seed), o.start_index);
  return [base, o](double t, Landmarks& marks) {
    synth::FaceParams face = synth::at_time(base, t, std::uint64_t(o.seed));
    marks = synth::landmarks(face, o.size);
    return synth::render(face, o.size);
  };
}

FrameMaker animated_portrait(const Options& o, int& width, int& height) {
  Rgb8 photo = Image::load(o.portrait).rgb();
  const std::vector<Face> faces = FaceDetector().detect(photo);
  if (faces.empty()) throw InputError(o.portrait, "the face detector finds no face to animate");
  // 4:2:0 video: an even size.
  width = photo.width & ~1;
  height = photo.height & ~1;
  Rgb8 even(width, height);
  for (int y = 0; y < height; ++y)
    std::copy_n(&photo.at(0, y, 0), std::size_t(width) * 3, &even.at(0, y, 0));
  auto animation = std::make_shared<PortraitAnimation>(std::move(even), faces.front().landmarks, std::uint64_t(o.seed));
  return [animation](double t, Landmarks& marks) { return animation->frame(t, &marks); };
}

int run_video(const cli::Command& cmd, const Options& o, const std::string& out) {
  const Rational rate = rate_of(o.fps);
  int width = o.size, height = o.size;
  const FrameMaker make = o.portrait.empty() ? synthetic_head(o) : animated_portrait(o, width, height);
  RgbVideoSink sink(out, width, height, rate);
  std::string marks;
  cli::Progress progress(cmd.common(), "frames", o.frames);
  for (int k = 0; k < o.frames; ++k) {
    Landmarks landmarks;
    sink.write(make(double(k) * rate.den / rate.num, landmarks));
    if (!o.landmarks.empty()) {
      marks += std::to_string(k);
      char buf[48];
      for (const Point2& p : landmarks) {
        std::snprintf(buf, sizeof buf, " %.2f %.2f", p.x, p.y);
        marks += buf;
      }
      marks += '\n';
    }
    progress.update(k + 1);
  }
  if (!o.landmarks.empty()) write_all(o.landmarks, marks);
  sink.finish();
  progress.finish({{"output", out}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run_tool("id-synth", [&] {
    cli::Command cmd("id-synth", "render synthetic faces, counterfactuals and talking-head videos");
    Options o;
    define(cmd, o);
    if (!cmd.parse(argc, argv)) return 0;

    // Every combination is checked before anything is written.
    if (o.args.size() != 2) throw UsageError("expected a verb (faces or video) and an output");
    const std::string& verb = o.args[0];
    const std::string& out = o.args[1];
    if (verb != "faces" && verb != "video") throw UsageError("unknown verb '" + verb + "' (faces or video)");
    auto only_for = [&cmd, &verb](const char* option, const char* wanted) {
      if (cmd.given(option) && verb != wanted)
        throw UsageError("--" + std::string(option) + " is an option of '" + wanted + "', not '" + verb + "'");
    };
    for (const char* opt : {"count", "counterfactuals", "lossy-edits", "attributes", "split"}) only_for(opt, "faces");
    for (const char* opt : {"frames", "fps", "landmarks", "portrait"}) only_for(opt, "video");
    if (cmd.given("portrait") && cmd.given("size"))
      throw UsageError("--portrait: the video has the portrait's own size; --size does not apply");
    if (verb == "faces") {
      if (out == "-") throw UsageError("faces: OUTDIR is a directory, not standard output");
      synth::parse_split(o.split);
      if (!o.attributes.empty() && !o.counterfactuals)
        throw UsageError("--attributes chooses counterfactuals: give --counterfactuals too");
      for (const auto& a : o.attributes)
        if (!synth::is_editable(a))
          throw UsageError("--attributes: '" + a + "' is not one of " + joined(synth::editable_attributes()));
      return run_faces(cmd, o, out);
    }
    if (o.frames < 1) throw UsageError("--frames must be 1 or more");
    if (!(o.fps > 0) || o.fps > 1000) throw UsageError("--fps must be above 0 and at most 1000");
    if (o.size % 2) throw UsageError("video: --size must be even (4:2:0 chroma)");
    if (!o.landmarks.empty() && o.landmarks == "-" && out == "-")
      throw UsageError("--landmarks - and OUT - would share standard output");
    if (cmd.common().progress == "-" && out == "-")
      throw UsageError("--progress - and OUT - would share standard output");
    return run_video(cmd, o, out);
  });
}
