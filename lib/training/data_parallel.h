// Data-parallel training over PyTorch's c10d (docs/training.md#data-parallel): one process
// per rank, each with its own shard of the data and its own batch; before every optimiser
// step the gradients are averaged over the ranks (ProcessGroupGloo on CPU), so every rank
// takes the same step and the weights stay identical, as a single process would with the
// union of the ranks' batches. Rank 0 writes checkpoints, samples and the model.
#pragma once
#include <memory>
#include <string>

#include <torch/torch.h>

namespace idef {

struct DataParallelOptions {
  int rank = 0, world_size = 1;
  // Rendezvous: a TCP store that rank 0 serves at master_addr:master_port (torchrun's way),
  // or, when rendezvous_file is set, a file every rank can reach (a shared file system).
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string rendezvous_file;
  // How long a collective waits for the other ranks before giving up with an error.
  double timeout_seconds = 1800;
};

// torchrun's variables: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (unset: the defaults).
// A malformed value is a UsageError naming the variable.
DataParallelOptions data_parallel_from_environment();

// Refuses a rank outside 0..world_size-1, a world size below 1 or a port outside 1..65535
// (UsageError, naming the option).
void check_data_parallel_options(const DataParallelOptions& options);

class DataParallel {
 public:
  DataParallel() = default;  // one process: every call below is a no-op
  // Joins the group; blocks until every rank has joined (or the timeout passes).
  explicit DataParallel(const DataParallelOptions& options);
  ~DataParallel();
  DataParallel(DataParallel&&) noexcept;
  DataParallel& operator=(DataParallel&&) noexcept;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  bool distributed() const { return world_size_ > 1; }
  bool writes() const { return rank_ == 0; }  // the rank that writes files

  // Every parameter and buffer from rank 0, so all ranks start from the same weights.
  void broadcast(torch::nn::Module& module) const;
  // The mean over the ranks of every gradient of `module` (one collective for all of them).
  void average_gradients(torch::nn::Module& module) const;
  // True on every rank when it is true on any: an interrupt stops all ranks at one iteration.
  bool any(bool local) const;

 private:
  int rank_ = 0, world_size_ = 1;
  struct Group;
  std::unique_ptr<Group> group_;
};

// The shared instance of a one-process run.
const DataParallel& single_process();

}  // namespace idef
