// The largest change of any 8-bit channel between two pictures of one size: how the tests
// check a perturbation's cap.
#pragma once
#include <algorithm>
#include <cstdlib>

#include "io/rgb8.h"

namespace idef::test {

inline int max_abs_diff(const Rgb8& a, const Rgb8& b) {
  int worst = 0;
  for (std::size_t i = 0; i < a.pixels.size(); ++i)
    worst = std::max(worst, std::abs(int(a.pixels[i]) - int(b.pixels[i])));
  return worst;
}

}  // namespace idef::test
