// Speed of id-train-attr's iteration at the authors' setting (64 px, batch 16, a res6
// surrogate SM with its discriminator DA, the unet5-bn PG and its critic DB, all of width 32,
// five domains, TDE): seconds per stage A (SM and DA) and per stage B (DB and PG), the
// convolution FLOPs each stage does, and the machine's own convolution throughput at the
// shapes those networks use, so that the achieved GFLOP/s can be read against it.
// bench/train-speed.sh runs it and writes bench/results/train-speed.md.
//
//   bench_train_speed [--threads N] [--iterations K] [--width W] [--batch B] [--image-size PX]
//
// K [5] timed iterations after a warm-up; the seconds are medians over them (stage A over
// whole rounds of n_critic = 5 iterations, one of which steps SM).
//
// FLOPs are counted from LibTorch's profiler: every forward convolution (aten::conv2d,
// aten::conv_transpose2d) as 2·MACs, every convolution backward (aten::convolution_backward) as
// twice its forward (the input's and the weights' gradients). The second-order terms of the
// gradient penalties, normalisations and activations are left out: a lower bound.
#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "core/version.h"
#include "training/attr_defence_trainer.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace prof = torch::autograd::profiler;

double product(const std::vector<int64_t>& v, std::size_t from = 0) {
  double p = 1;
  for (std::size_t i = from; i < v.size(); ++i) p *= static_cast<double>(v[i]);
  return p;
}

// Forward FLOPs of a convolution, from its backward's shapes: grad_output [N, Co, Ho, Wo],
// input [N, Ci, Hi, Wi], weight [Co, Ci/g, k, k] (or, transposed, [Ci, Co/g, k, k]).
double conv_flops_from_backward(const std::vector<std::vector<int64_t>>& shapes) {
  if (shapes.size() < 3 || shapes[0].size() != 4 || shapes[1].size() != 4 || shapes[2].size() != 4) return 0;
  const auto& go = shapes[0];
  const auto& in = shapes[1];
  const auto& w = shapes[2];
  const bool normal = w[0] == go[1] && in[1] % w[1] == 0;
  if (normal) return 2 * product(go) * product(w, 1);  // N·Co·Ho·Wo · Ci/g·k·k
  return 2 * product(in) * product(w, 1);              // N·Ci·Hi·Wi · Co/g·k·k
}

double conv_flops_forward(const prof::LegacyEvent& e) {
  const std::string name = e.name();
  if (name == "aten::conv2d") return static_cast<double>(const_cast<prof::LegacyEvent&>(e).flops());
  if (name == "aten::conv_transpose2d") {  // every input pixel meets Co/g·k·k weights
    const auto& s = e.shapes();
    if (s.size() < 2 || s[0].size() != 4 || s[1].size() != 4) return 0;
    return 2 * product(s[0]) * product(s[1], 1);
  }
  return 0;
}

// Convolution FLOPs of `work`, run once under the profiler.
double convolution_flops(const std::function<void()>& work) {
  prof::enableProfilerLegacy(torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU,
                                                                    /*report_input_shapes=*/true,
                                                                    /*profile_memory=*/false, /*with_stack=*/false,
                                                                    /*with_flops=*/true));
  work();
  double flops = 0;
  for (const auto& list : prof::disableProfilerLegacy())
    for (const auto& e : list) {
      if (e.kind() != prof::EventKind::PushRange) continue;
      if (std::string(e.name()) == "aten::convolution_backward")
        flops += 2 * conv_flops_from_backward(e.shapes());
      else
        flops += conv_flops_forward(e);
    }
  return flops;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

double seconds_of(const std::function<void()>& work) {
  auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The machine's convolution throughput at one shape: forward and backward of a 3x3 (or kxk,
// stride s) convolution, best of `repeats`, in GFLOP/s.
double conv_gflops(int64_t n, int64_t cin, int64_t cout, int64_t size, int64_t k, int64_t stride, int repeats) {
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(cin, cout, k).stride(stride).padding((k - 1) / 2));
  torch::Tensor x = torch::randn({n, cin, size, size}).requires_grad_(true);
  double best = 1e30, flops = 0;
  for (int r = 0; r < repeats + 1; ++r) {
    x.mutable_grad() = torch::Tensor();
    conv->zero_grad();
    auto start = Clock::now();
    torch::Tensor y = conv->forward(x);
    y.sum().backward();
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    flops = 3 * 2 * product(y.sizes().vec()) * static_cast<double>(cin * k * k);
    if (r > 0) best = std::min(best, s);  // the first run warms up
  }
  return flops / best / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, iterations = 5, width = 32, batch = 16, size = 64;
  for (int i = 1; i < argc; ++i) {
    auto value = [&](int& v) {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(argv[i]) + " needs a value");
      v = std::atoi(argv[++i]);
      if (v < 1) throw std::invalid_argument(std::string(argv[i - 1]) + " must be at least 1");
    };
    if (!std::strcmp(argv[i], "--threads")) value(threads);
    else if (!std::strcmp(argv[i], "--iterations")) value(iterations);
    else if (!std::strcmp(argv[i], "--width")) value(width);
    else if (!std::strcmp(argv[i], "--batch")) value(batch);
    else if (!std::strcmp(argv[i], "--image-size")) value(size);
    else {
      std::fprintf(stderr, "usage: %s [--threads N] [--iterations K] [--width W] [--batch B] [--image-size PX]\n",
                   argv[0]);
      return 2;
    }
  }
  idef::set_thread_count(threads);
  torch::manual_seed(1);
  const std::vector<std::string> attributes{"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"};
  const int c_dim = static_cast<int>(attributes.size());
  idef::nets::Editor sm = idef::nets::make_editor({"res6", c_dim, width, size});
  idef::nets::StarGanDiscriminator da(size, width, c_dim);
  idef::nets::Translator pg = idef::nets::make_translator({"unet5-bn", 3, 3, width, size});
  idef::nets::StarGanDiscriminator db(size, width, 1);
  idef::AttrDefenceSettings settings;
  settings.attributes = attributes;
  settings.stage_a.iterations = 200000;
  settings.stage_a.decay_iterations = 100000;
  idef::AttrDefenceTrainer trainer(sm, da, pg, db, settings);
  // The values of the faces do not change the work: random ones in [-1, 1], random labels.
  torch::Tensor x = torch::rand({batch, 3, size, size}) * 2 - 1;
  torch::Tensor c = torch::randint(0, 2, {batch, c_dim}).to(torch::kFloat);

  // Stage A steps DA every iteration and SM every fifth (n_critic 5): it is timed over whole
  // rounds of five, stage B per iteration.
  std::int64_t it = 0;
  auto stage_a = [&] { trainer.surrogate_step(it++, x, c); };
  auto stage_b = [&] { trainer.perturbation_step(x, c, /*use_previous=*/true); };
  for (int i = 0; i < 5; ++i) stage_a();  // warm-up: a whole round, and one stage B
  stage_b();
  // Medians: the machine is shared, and a stray slow iteration should not move the figure.
  std::vector<double> a_rounds, b_steps;
  for (int r = 0; r < iterations; ++r) {
    a_rounds.push_back(seconds_of([&] {
      for (int i = 0; i < 5; ++i) stage_a();
    }));
    b_steps.push_back(seconds_of(stage_b));
  }
  const double a_seconds = median(a_rounds) / 5, b_seconds = median(b_steps);
  double a_flops = 0;
  for (int i = 0; i < 5; ++i) a_flops += convolution_flops(stage_a);
  a_flops /= 5;
  const double b_flops = convolution_flops(stage_b);

  // The networks' most common convolution shapes at this width: a residual block of SM
  // (4W channels at size/4), the PG's first level (W channels at full size), a stride-2
  // 4x4 down-sampling convolution of DA (2W to 4W).
  const int64_t w = width;
  const double conv_res = conv_gflops(batch, 4 * w, 4 * w, size / 4, 3, 1, 3);
  const double conv_top = conv_gflops(batch, w, w, size, 3, 1, 3);
  const double conv_down = conv_gflops(batch, 2 * w, 4 * w, size / 2, 4, 2, 3);
  const double conv_peak = std::max({conv_res, conv_top, conv_down});

  auto blas = idef::blas_in_use();
  std::printf("threads=%d\nwidth=%d\nbatch=%d\nimage_size=%d\niterations=%d\nblas=%s\n", threads, width, batch, size,
              iterations, blas.name.c_str());
  std::printf("stage_a_seconds=%.4f\nstage_b_seconds=%.4f\niteration_seconds=%.4f\n", a_seconds, b_seconds,
              a_seconds + b_seconds);
  std::printf("stage_a_gflop=%.2f\nstage_b_gflop=%.2f\n", a_flops / 1e9, b_flops / 1e9);
  std::printf("stage_a_gflops_per_s=%.1f\nstage_b_gflops_per_s=%.1f\n", a_flops / 1e9 / a_seconds,
              b_flops / 1e9 / b_seconds);
  std::printf("conv_res_block_gflops_per_s=%.1f\nconv_first_level_gflops_per_s=%.1f\nconv_down_gflops_per_s=%.1f\n",
              conv_res, conv_top, conv_down);
  std::printf("conv_peak_gflops_per_s=%.1f\n", conv_peak);
  return 0;
}
