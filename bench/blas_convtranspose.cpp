// Speed of a ConvTranspose2d-heavy decoder (the up path of StarGAN / pix2pix U-Nets),
// which Debian's libtorch runs through the system BLAS. bench/blas.sh runs this once with
// the BLAS in use and once with the reference BLAS forced in, and prints the ratio.
//
//   bench_blas_convtranspose [--blas] [--iterations N] [--threads N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/version.h"

int main(int argc, char** argv) {
  int iterations = 5, threads = 2;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--blas")) {
      auto blas = idef::blas_in_use();
      std::printf("%s (%s) from %s\n", blas.name.c_str(), blas.details.c_str(), blas.path.c_str());
      return 0;
    } else if (!std::strcmp(argv[i], "--iterations") && i + 1 < argc) {
      iterations = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--blas] [--iterations N] [--threads N]\n", argv[0]);
      return 2;
    }
  }
  idef::set_thread_count(threads);
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  // 8x8x256 → 128x128x16: four stride-2 4x4 transposed convolutions, batch 4.
  torch::nn::Sequential decoder;
  int channels = 256;
  for (int i = 0; i < 4; ++i) {
    decoder->push_back(torch::nn::ConvTranspose2d(
        torch::nn::ConvTranspose2dOptions(channels, channels / 2, 4).stride(2).padding(1)));
    decoder->push_back(torch::nn::ReLU());
    channels /= 2;
  }
  torch::Tensor x = torch::randn({4, 256, 8, 8});
  decoder->forward(x);  // warm-up
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) decoder->forward(x);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / iterations;
  auto blas = idef::blas_in_use();
  std::printf("blas=%s\nblas_path=%s\nthreads=%d\nms_per_forward=%.2f\n", blas.name.c_str(), blas.path.c_str(),
              threads, ms);
  return 0;
}
