// Image-difference metrics of docs/scoring.md, one definition used by every tool. Inputs are
// [N,3,H,W] (or [3,H,W]) RGB tensors in [-1, 1] of any float type and device; results are
// computed in double precision on the CPU. "Per image" functions return one value per batch
// entry; the plain functions average those.
//
// Conventions:
// - PSNR maps the images to [0, 1] (MAX = 1): 10·log10(1 / MSE). Identical images give
//   +infinity (std::numeric_limits<double>::infinity()), and a mean over images that holds
//   one +infinity is +infinity. Text reports print "inf" (format_metric); JSON reports
//   print null for PSNR (a scored pair always has a PSNR, so null there only means +inf).
// - SSIM (Wang et al. 2004) on the BT.601 luma 0.299R + 0.587G + 0.114B of the [0, 1]
//   images, an 11×11 Gaussian window with σ = 1.5 (normalised to sum 1), K1 = 0.01,
//   K2 = 0.03, L = 1, "valid" windows only (no padding: the SSIM map is (H−10)×(W−10), as
//   in the authors' ssim_index.m), averaged over the map per image. Needs H, W ≥ 11.
// - L1 = mean |a − b|, L2 = mean (a − b)² on the [-1, 1] scale, over channels and pixels.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "io/rgb8.h"

namespace idef {

constexpr int kSsimWindow = 11;
constexpr double kSsimSigma = 1.5;

std::vector<double> psnr_per_image(const torch::Tensor& a, const torch::Tensor& b);
std::vector<double> ssim_per_image(const torch::Tensor& a, const torch::Tensor& b);
std::vector<double> l1_per_image(const torch::Tensor& a, const torch::Tensor& b);
std::vector<double> l2_per_image(const torch::Tensor& a, const torch::Tensor& b);

double psnr(const torch::Tensor& a, const torch::Tensor& b);
double ssim(const torch::Tensor& a, const torch::Tensor& b);
double l1(const torch::Tensor& a, const torch::Tensor& b);
double l2(const torch::Tensor& a, const torch::Tensor& b);

// The same on 8-bit pictures (taken to [-1, 1] exactly as the networks see them).
double psnr(const Rgb8& a, const Rgb8& b);
double ssim(const Rgb8& a, const Rgb8& b);
double l1(const Rgb8& a, const Rgb8& b);
double l2(const Rgb8& a, const Rgb8& b);

// BT.601 luma of [-1, 1] RGB images, on the [0, 1] scale: [N,1,H,W] double.
torch::Tensor luma01(const torch::Tensor& images);

// 8-neighbour, radius-1 local binary pattern of the luma, as a grey picture (R = G = B =
// code). Bit k is set when neighbour k is ≥ the centre; neighbours are numbered clockwise
// from the top-left:   0 1 2
//                      7 . 3
//                      6 5 4     code = Σ_k bit_k · 2^k.
// Pixels outside the picture repeat the nearest edge pixel (so the map has the input size).
Rgb8 lbp_map(const Rgb8& image);
// The same for one [1,3,H,W] or [3,H,W] tensor in [-1, 1].
Rgb8 lbp_map(const torch::Tensor& image);

// Defence success rate: the share of distances strictly greater than `threshold` (a
// distance equal to the threshold does not count). Throws idef::Error for no distances.
double dsr(const std::vector<double>& distances, double threshold);

// Mean of per-image values (+inf if any is +inf). Throws idef::Error when empty.
double mean_of(const std::vector<double>& values);

// "inf" for +infinity, "n/a" for NaN, else printf's "%.<digits>f".
std::string format_metric(double value, int digits);

}  // namespace idef
