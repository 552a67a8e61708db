#include "core/version.h"

#include <dlfcn.h>
#include <dlib/revision.h>
#include <vips/vips.h>

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "core/build_config.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
}

namespace idef {

const char* toolkit_version() { return ID_VERSION; }

BlasInfo blas_in_use() {
  BlasInfo info;
  // Make sure libtorch's BLAS is loaded, then ask the dynamic linker who serves sgemm_:
  // that is the library a ConvTranspose2d call lands in.
  void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
  Dl_info where{};
  if (sgemm && dladdr(sgemm, &where) && where.dli_fname) {
    std::error_code ec;
    auto real = std::filesystem::canonical(where.dli_fname, ec);
    info.path = ec ? where.dli_fname : real.string();
    // OpenBLAS exports openblas_get_config; look it up in the very object serving sgemm_.
    if (void* handle = dlopen(where.dli_fname, RTLD_NOW | RTLD_NOLOAD)) {
      using ConfigFn = char* (*)();
      auto config = reinterpret_cast<ConfigFn>(dlsym(handle, "openblas_get_config"));
      Dl_info config_where{};
      if (config && dladdr(reinterpret_cast<void*>(config), &config_where)) {
        info.name = "OpenBLAS";
        info.details = config();
      }
      dlclose(handle);
    }
    if (info.name.empty()) {
      if (info.path.find("/blas/") != std::string::npos) info.name = "reference BLAS";
      else if (info.path.find("mkl") != std::string::npos) info.name = "MKL";
      else if (info.path.find("blis") != std::string::npos) info.name = "BLIS";
      else if (info.path.find("atlas") != std::string::npos) info.name = "ATLAS";
      else info.name = "unknown BLAS";
    }
  } else {
    info.name = "none loaded";
  }
  return info;
}

std::vector<std::pair<std::string, std::string>> library_versions() {
  BlasInfo blas = blas_in_use();
  std::string blas_text = blas.name;
  if (!blas.details.empty()) blas_text += " (" + blas.details + ")";
  if (!blas.path.empty()) blas_text += " from " + blas.path;
  return {
      {"initiative-defense", toolkit_version()},
      {"LibTorch", TORCH_VERSION},
      {"BLAS", blas_text},
      {"libvips", vips_version_string()},
      {"FFmpeg", std::string(av_version_info()) + " (libavcodec " + AV_STRINGIFY(LIBAVCODEC_VERSION) + ")"},
      {"dlib", std::to_string(DLIB_MAJOR_VERSION) + "." + std::to_string(DLIB_MINOR_VERSION) + "." +
                   std::to_string(DLIB_PATCH_VERSION)},
  };
}

void set_thread_count(int threads) {
  if (threads <= 0) return;
  torch::set_num_threads(threads);
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(threads);
  vips_concurrency_set(threads);
}

}  // namespace idef
