// Pairs of pictures to compare (two files, or two folders matched by relative path) and
// the figures (docs/scoring.md) of one pair, for id-score and anything else that scores images.
#pragma once
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "io/rgb8.h"

namespace idef {

class Lpips;

struct ImagePair {
  std::string name;  // the relative path (folders) or the first file's name as given
  std::string a, b;  // paths
};

struct PairProblem {
  std::string name;
  std::string message;  // "cannot read ..." / "'B/x.png' is missing (counterpart of 'A/x.png')"
};

struct PairList {
  std::vector<ImagePair> pairs;        // sorted by name
  std::vector<PairProblem> problems;   // files without a counterpart, sorted by name
};

// Two files ("-" = standard input, for one of them) or two folders. Folders are searched
// recursively for image files (by extension: png, jpg, jpeg, webp, tif, tiff, gif, bmp,
// ppm, pgm, pnm, pfm, jxl, heic, heif, avif, exr, hdr, v; any case) and matched by path
// relative to their folder; a file on one side only is a problem of its own and the rest
// still pairs up. Throws UsageError for a file against a folder or "-" twice, InputError
// for a path that does not exist.
PairList match_image_pairs(const std::string& a, const std::string& b);

constexpr double kNotAvailable = std::numeric_limits<double>::quiet_NaN();

struct ImageScores {
  double psnr = kNotAvailable;   // dB, +inf for identical pictures
  double ssim = kNotAvailable;   // NaN when a side is under 11 px
  double l1 = kNotAvailable;
  double l2 = kNotAvailable;
  double lpips = kNotAvailable;  // NaN without weights or for pictures under lpips->min_size()
};

// The figures of one pair of equally sized pictures; `lpips` may be null.
ImageScores score_images(const Rgb8& a, const Rgb8& b, Lpips* lpips = nullptr,
                         const torch::Device& device = torch::kCPU);

}  // namespace idef
