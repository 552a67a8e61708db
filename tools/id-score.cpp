// id-score: the metrics of SPEC.md §7 as a command. Verbs name what is scored; `image`
// compares pictures (two files or two folders matched by relative path). Every figure
// comes from lib/metrics, the one definition the other tools use too.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/progress.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "io/image.h"
#include "metrics/image_metrics.h"
#include "metrics/image_pairs.h"
#include "metrics/perceptual.h"

using namespace idef;

namespace {

struct Options {
  std::vector<std::string> args;  // VERB, then the verb's inputs
  bool json = false;
  std::string csv;
  std::string lpips_weights;
};

void define(cli::Command& cmd, Options& o) {
  cmd.synopsis("image [OPTION]... A B")
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
          "summary; null stands for n/a, and for PSNR, which always exists, for +inf).")
      .example("id-score image photo.png protected.png", "how much the protection changed one photo")
      .example("id-score image --csv scores.csv --lpips-weights alex.idm originals/ protected/",
               "a folder, per-item CSV and LPIPS")
      .positional("VERB", &o.args, "image, then the two inputs A B")
      .flag("json", &o.json, "print JSON instead of the table")
      .option("csv", &o.csv, "FILE", "also write per-item figures as CSV to FILE (- for standard output, "
                                     "instead of the table)",
              cli::ValueKind::File)
      .option("lpips-weights", &o.lpips_weights, "FILE",
              "LPIPS weights (alex or vgg) in the toolkit's model format; without it LPIPS is n/a",
              cli::ValueKind::File);
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// JSON has neither NaN nor infinity: both are null (documented per key).
std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_number(double v) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  return buf;
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

std::string json(const std::vector<Scored>& items, const ImageScores& mean,
                 const std::vector<PairProblem>& problems, const std::string& lpips_arch) {
  auto fields = [](const ImageScores& s) {
    return "\"psnr\": " + json_number(s.psnr) + ", \"ssim\": " + json_number(s.ssim) + ", \"l1\": " +
           json_number(s.l1) + ", \"l2\": " + json_number(s.l2) + ", \"lpips\": " + json_number(s.lpips);
  };
  std::string out = "{\"verb\": \"image\", \"lpips_net\": " +
                    (lpips_arch.empty() ? std::string("null") : json_string(lpips_arch)) + ", \"items\": [";
  for (std::size_t i = 0; i < items.size(); ++i)
    out += std::string(i ? ", " : "") + "{\"item\": " + json_string(items[i].name) + ", " + fields(items[i].scores) + "}";
  out += "], \"errors\": [";
  for (std::size_t i = 0; i < problems.size(); ++i)
    out += std::string(i ? ", " : "") + "{\"item\": " + json_string(problems[i].name) +
           ", \"error\": " + json_string(problems[i].message) + "}";
  out += "], \"summary\": {\"count\": " + std::to_string(items.size()) +
         ", \"failed\": " + std::to_string(problems.size()) + ", " + fields(mean) + "}}\n";
  return out;
}

std::string csv(const std::vector<Scored>& items) {
  std::string out = "item,psnr,ssim,l1,l2,lpips\n";
  for (const auto& it : items)
    out += csv_field(it.name) + "," + csv_number(it.scores.psnr) + "," + csv_number(it.scores.ssim) + "," +
           csv_number(it.scores.l1) + "," + csv_number(it.scores.l2) + "," + csv_number(it.scores.lpips) + "\n";
  return out;
}

std::string size_text(const Rgb8& image) {
  return std::to_string(image.width) + "x" + std::to_string(image.height);
}

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

  ImageScores mean = summary_of(items);
  if (!o.csv.empty()) write_all(o.csv, csv(items));
  if (o.json)
    std::fputs(json(items, mean, problems, lpips_arch).c_str(), stdout);
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

}  // namespace

int main(int argc, char** argv) {
  return cli::run_tool("id-score", [&] {
    cli::Command cmd("id-score", "measure how far pictures are apart (PSNR, SSIM, L1, L2, LPIPS)");
    Options o;
    define(cmd, o);
    if (!cmd.parse(argc, argv)) return 0;
    const std::string& verb = o.args.front();
    if (verb == "image") return score_image(cmd, o);
    throw UsageError("unknown verb '" + verb + "' (image)");
  });
}
