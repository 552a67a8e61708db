// Precompiled header: libtorch's headers take most of the compile time.
#pragma once
#include <torch/torch.h>
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>
