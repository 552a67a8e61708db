#include "core/version.h"

#include <gtest/gtest.h>

#include "test_util.h"

TEST(Version, ListsEveryLibrary) {
  auto versions = idef::library_versions();
  std::vector<std::string> names;
  for (const auto& [name, version] : versions) {
    names.push_back(name);
    EXPECT_FALSE(version.empty()) << name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"initiative-defense", "LibTorch", "BLAS", "libvips", "FFmpeg", "dlib"}));
}

// `make deps` installs OpenBLAS and makes it the BLAS libtorch uses: ConvTranspose2d is
// 4-10x slower on the reference BLAS (bench/results/README.md, the BLAS benchmark).
TEST(Version, OpenBlasServesLibtorch) {
  auto blas = idef::blas_in_use();
  EXPECT_TRUE(blas.is_openblas()) << blas.name << " from " << blas.path;
  EXPECT_NE(blas.details.find("OpenBLAS"), std::string::npos) << blas.details;
}

// The same detection must notice when the reference BLAS is forced in.
TEST(Version, DetectsTheReferenceBlas) {
  std::string bench = std::string(ID_BINARY_DIR) + "/bench/bench_blas_convtranspose";
  auto r = idef::test::run_command("LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas '" + bench + "' --blas");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("reference BLAS"), std::string::npos) << r.out;
  auto normal = idef::test::run_command("'" + bench + "' --blas");
  EXPECT_NE(normal.out.find("OpenBLAS"), std::string::npos) << normal.out;
}
