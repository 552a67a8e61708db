// Shared by the id-poison CLI tests: a small untrained perturbation generator and pixel
// comparisons.
#pragma once
#include <algorithm>
#include <cstdlib>
#include <string>

#include "defence/perturbation_model.h"
#include "io/rgb8.h"
#include "pixel_diff.h"
#include "tool_test.h"

namespace idef::test {

// An untrained generator: its output is small, so the tests use ε = 1 with τ = 0.05 as the cap.
inline std::string write_pg_model(const ScratchDir& dir) {
  std::string path = dir / "pg.idm";
  save_perturbation_model(path, small_generator("unet64", 4, 64, 5));
  return path;
}

// τ = 0.05 is round(0.05 · 127.5) = 6 in 8-bit units.
inline const char* kStrong = " --epsilon 1 --tau 0.05 --threads 1 ";
constexpr int kStrongCap = 6;

// id-poison's arguments for aligned 64 px crops: no face detector, so it is fast and every
// file is protected.
inline std::string poison_aligned(const std::string& model, const std::string& args) {
  return "--aligned --model " + q(model) + kStrong + args;
}

}  // namespace idef::test
