#include "metrics/image_pairs.h"

#include <cctype>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/folder_walk.h"
#include "io/tensor_image.h"
#include "metrics/image_metrics.h"
#include "io/image.h"
#include "metrics/perceptual.h"

namespace fs = std::filesystem;

namespace idef {

namespace {

std::set<std::string> images_under(const std::string& root) {
  std::set<std::string> names;
  for (const auto& name : walk_folder(root))
    if (has_image_extension(name)) names.insert(fs::path(name).generic_string());
  return names;
}

}  // namespace

PairList match_image_pairs(const std::string& a, const std::string& b) {
  if (a == "-" && b == "-") throw UsageError("only one of the two inputs can be standard input");
  for (const auto& p : {a, b})
    if (p != "-" && !fs::exists(p)) throw InputError(p, "no such file or directory");
  bool dir_a = a != "-" && fs::is_directory(a), dir_b = b != "-" && fs::is_directory(b);
  PairList list;
  if (dir_a != dir_b)
    throw UsageError("compare two files or two folders, not a " + std::string(dir_a ? "folder" : "file") +
                     " ('" + a + "') with a " + (dir_b ? "folder" : "file") + " ('" + b + "')");
  if (!dir_a) {
    list.pairs.push_back({a == "-" ? "stdin" : a, a, b});
    return list;
  }
  std::set<std::string> in_a = images_under(a), in_b = images_under(b);
  for (const auto& name : in_a) {
    std::string pa = (fs::path(a) / name).string(), pb = (fs::path(b) / name).string();
    if (in_b.count(name))
      list.pairs.push_back({name, pa, pb});
    else
      list.problems.push_back({name, "'" + pb + "' is missing (counterpart of '" + pa + "')"});
  }
  for (const auto& name : in_b)
    if (!in_a.count(name))
      list.problems.push_back({name, "'" + (fs::path(a) / name).string() + "' is missing (counterpart of '" +
                                         (fs::path(b) / name).string() + "')"});
  std::sort(list.problems.begin(), list.problems.end(),
            [](const PairProblem& x, const PairProblem& y) { return x.name < y.name; });
  return list;
}

ImageScores score_images(const Rgb8& a, const Rgb8& b, Lpips* lpips, const torch::Device& device) {
  if (a.width != b.width || a.height != b.height)
    throw Error("score_images: pictures of different sizes");
  torch::Tensor x = rgb8_to_tensor(a), y = rgb8_to_tensor(b);
  ImageScores s;
  s.psnr = psnr(x, y);
  if (a.width >= kSsimWindow && a.height >= kSsimWindow) s.ssim = ssim(x, y);
  s.l1 = l1(x, y);
  s.l2 = l2(x, y);
  if (lpips && a.width >= lpips->min_size() && a.height >= lpips->min_size())
    s.lpips = lpips->per_image(x.to(device), y.to(device)).at(0);
  return s;
}

}  // namespace idef
