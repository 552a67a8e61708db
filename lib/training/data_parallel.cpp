#include "training/data_parallel.h"

#include <chrono>
#include <cstdlib>
#include <vector>

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "core/error.h"

namespace idef {

namespace {

int environment_int(const char* name, int fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*end || value < 0 || value > 1000000)
    throw UsageError(std::string("environment variable ") + name + "='" + text + "': not a whole number from 0");
  return static_cast<int>(value);
}

// The tensors end to end in one float CPU buffer (one collective, whatever their number and
// device: Gloo is the group), and back into them.
torch::Tensor flattened(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> views;
  for (const auto& t : tensors) views.push_back(t.detach().reshape({-1}).to(torch::kCPU, torch::kFloat));
  return torch::cat(views);
}

void unflatten_into(const torch::Tensor& flat, std::vector<torch::Tensor>& tensors) {
  std::int64_t at = 0;
  for (auto& t : tensors) {
    t.copy_(flat.narrow(0, at, t.numel()).view(t.sizes()));
    at += t.numel();
  }
}

std::vector<torch::Tensor> gradients_of(torch::nn::Module& module) {
  std::vector<torch::Tensor> grads;
  for (auto& p : module.parameters())
    if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

}  // namespace

DataParallelOptions data_parallel_from_environment() {
  DataParallelOptions o;
  o.rank = environment_int("RANK", o.rank);
  o.world_size = environment_int("WORLD_SIZE", o.world_size);
  if (const char* addr = std::getenv("MASTER_ADDR"); addr && *addr) o.master_addr = addr;
  o.master_port = environment_int("MASTER_PORT", o.master_port);
  return o;
}

void check_data_parallel_options(const DataParallelOptions& o) {
  // The values may come from torchrun's variables: the messages name both.
  if (o.world_size < 1) throw UsageError("--world-size (WORLD_SIZE): at least 1");
  if (o.rank < 0 || o.rank >= o.world_size)
    throw UsageError("--rank (RANK): " + std::to_string(o.rank) + " is not a rank of a world of " +
                     std::to_string(o.world_size) + " (0 to " + std::to_string(o.world_size - 1) + ")");
  if (o.master_port < 1 || o.master_port > 65535) throw UsageError("--master-port (MASTER_PORT): 1 to 65535");
  if (!(o.timeout_seconds > 0)) throw UsageError("data-parallel timeout: over 0 seconds");
}

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
};

DataParallel::DataParallel(const DataParallelOptions& o) : rank_(o.rank), world_size_(o.world_size) {
  check_data_parallel_options(o);
  if (world_size_ == 1) return;
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_seconds * 1000));
  group_ = std::make_unique<Group>();
  try {
    if (!o.rendezvous_file.empty()) {
      group_->store = c10::make_intrusive<c10d::FileStore>(o.rendezvous_file, world_size_);
    } else {
      c10d::TCPStoreOptions store;
      store.port = static_cast<std::uint16_t>(o.master_port);
      store.isServer = rank_ == 0;
      store.numWorkers = world_size_;
      store.waitWorkers = true;
      store.timeout = timeout;
      group_->store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, store);
    }
    auto options = c10d::ProcessGroupGloo::Options::create();
    options->timeout = timeout;
    // The interface that reaches the master (loopback for a run on one machine).
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(
        o.rendezvous_file.empty() ? o.master_addr : std::string("127.0.0.1")));
    group_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(group_->store, rank_, world_size_, options);
  } catch (const std::exception& e) {
    throw Error("data-parallel rank " + std::to_string(rank_) + " of " + std::to_string(world_size_) +
                ": cannot join the group (" +
                (o.rendezvous_file.empty() ? o.master_addr + ":" + std::to_string(o.master_port)
                                           : o.rendezvous_file) +
                "): " + e.what());
  }
}

DataParallel::~DataParallel() = default;
DataParallel::DataParallel(DataParallel&&) noexcept = default;
DataParallel& DataParallel::operator=(DataParallel&&) noexcept = default;

void DataParallel::broadcast(torch::nn::Module& module) const {
  if (!distributed()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (auto& p : module.parameters()) tensors.push_back(p);
  for (auto& b : module.buffers()) tensors.push_back(b);
  if (tensors.empty()) return;
  std::vector<torch::Tensor> flat{flattened(tensors)};
  group_->gloo->broadcast(flat)->wait();
  unflatten_into(flat[0], tensors);
}

void DataParallel::average_gradients(torch::nn::Module& module) const {
  if (!distributed()) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads = gradients_of(module);
  if (grads.empty()) return;
  std::vector<torch::Tensor> flat{flattened(grads)};
  group_->gloo->allreduce(flat)->wait();
  flat[0].div_(world_size_);
  unflatten_into(flat[0], grads);
}

bool DataParallel::any(bool local) const {
  if (!distributed()) return local;
  std::vector<torch::Tensor> flag{torch::full({1}, local ? 1.f : 0.f)};
  c10d::AllreduceOptions max;
  max.reduceOp = c10d::ReduceOp::MAX;
  group_->gloo->allreduce(flag, max)->wait();
  return flag[0].item<float>() > 0;
}

const DataParallel& single_process() {
  static const DataParallel one;
  return one;
}

}  // namespace idef
