#pragma once
#include <chrono>

namespace idef {

// Wall time for the profiles of where a run's time goes.
using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace idef
