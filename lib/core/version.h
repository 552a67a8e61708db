// Versions of the toolkit and of the libraries that decide its results and speed.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace idef {

const char* toolkit_version();

// The BLAS that actually serves sgemm_ in this process (libtorch sends ConvTranspose2d
// there), e.g. "OpenBLAS 0.3.21 ... (/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3)".
struct BlasInfo {
  std::string name;     // "OpenBLAS", "reference BLAS", or what the library says of itself
  std::string details;  // OpenBLAS's own config string, if any
  std::string path;     // the shared object that provides sgemm_
  bool is_openblas() const { return name == "OpenBLAS"; }
};
BlasInfo blas_in_use();

// (library, version) pairs for --version: toolkit, LibTorch, BLAS, libvips, FFmpeg, dlib.
std::vector<std::pair<std::string, std::string>> library_versions();

// Threads for torch, OpenBLAS and libvips alike; 0 leaves each library's default.
void set_thread_count(int threads);

}  // namespace idef
