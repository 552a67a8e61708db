// Speed of the synthetic face renderer on one core: ms per face for rendering alone and
// for rendering plus PNG encoding, at the given sizes.
//   bench_synth_faces [--faces N] [SIZE]...      (default: 2000 faces at 64 and 128 px)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "data/synth_face.h"
#include "io/image.h"

int main(int argc, char** argv) {
  int faces = 2000;
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--faces") && i + 1 < argc) faces = std::atoi(argv[++i]);
    else sizes.push_back(std::atoi(argv[i]));
  }
  if (sizes.empty()) sizes = {64, 128};
  using clock = std::chrono::steady_clock;
  idef::ImageSaveOptions png;
  png.format = "png";
  for (int size : sizes) {
    std::size_t checksum = 0;
    auto t0 = clock::now();
    for (int i = 0; i < faces; ++i) checksum += idef::synth::render(idef::synth::sample_face(1, i), size).pixels[0];
    auto t1 = clock::now();
    std::size_t bytes = 0;
    for (int i = 0; i < faces; ++i)
      bytes += idef::encode_rgb8(idef::synth::render(idef::synth::sample_face(1, i), size), png).size();
    auto t2 = clock::now();
    double render_ms = std::chrono::duration<double, std::milli>(t1 - t0).count() / faces;
    double png_ms = std::chrono::duration<double, std::milli>(t2 - t1).count() / faces;
    std::printf("size=%d faces=%d render_ms_per_face=%.3f render_png_ms_per_face=%.3f png_bytes_per_face=%zu (%zu)\n",
                size, faces, render_ms, png_ms, bytes / faces, checksum);
  }
}
