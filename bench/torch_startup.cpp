// The start-up every program that links LibTorch pays before its first line: loading the
// library and running its static initialisers (some thousands of operator registrations).
// bench/poison.sh times it next to `id-poison --version`: the part of id-poison's start-up
// that is LibTorch's own. Linked with LibTorch alone (bench/CMakeLists.txt).
#include <torch/torch.h>

int main() {
  // One tiny operation, so that the library is used, not only loaded.
  return torch::ones({1}).item<float>() == 1.0f ? 0 : 1;
}
