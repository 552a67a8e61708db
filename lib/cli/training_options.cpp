#include "cli/training_options.h"

namespace idef::cli {

void add_stargan_options(Command& cmd, StarGanSettings& s, const StarGanNames& n) {
  const std::string& p = n.help_prefix;
  cmd.option("n-critic", &s.n_critic, "N", p + n.critic + " steps per " + n.generator + " step")
      .range(1, 100)
      .option(n.lr_g, &s.lr_g, "LR", p + "learning rate of the " + n.generator)
      .range(0, 1, true)
      .option(n.lr_d, &s.lr_d, "LR", p + "learning rate of the " + n.critic)
      .range(0, 1, true)
      .option("lambda-cls", &s.lambda_cls, "W", p + "weight of the domain classification loss")
      .range(0, 1e6)
      .option("lambda-rec", &s.lambda_rec, "W", p + "weight of the cycle reconstruction loss")
      .range(0, 1e6)
      .option("lambda-gp", &s.lambda_gp, "W", p + "weight of the " + n.critic + "'s gradient penalty")
      .range(0, 1e6)
      .option("lambda-id", &s.lambda_id, "W", p + "weight of the identity loss |G(x, c) - x| on the input's own "
                                                  "labels (0: StarGAN's recipe)")
      .range(0, 1e6);
}

void add_data_parallel_options(Command& cmd, DataParallelOptions& o) {
  cmd.option("rank", &o.rank, "N", "data-parallel training: this process's rank, 0 to --world-size - 1 (rank 0 "
                                   "writes the checkpoints and the model) [default: $RANK, else 0]")
      .range(0, 1e6)
      .no_default()
      .option("world-size", &o.world_size, "N",
              "data-parallel training: the number of processes, each with its own share of the data and its own "
              "--batch; gradients are averaged over them before every step [default: $WORLD_SIZE, else 1]")
      .range(1, 1e6)
      .no_default()
      .option("master-addr", &o.master_addr, "HOST",
              "data-parallel training: where rank 0 waits for the others [default: $MASTER_ADDR, else 127.0.0.1]")
      .no_default()
      .option("master-port", &o.master_port, "PORT",
              "data-parallel training: rank 0's port [default: $MASTER_PORT, else 29500]")
      .range(1, 65535)
      .no_default()
      .option("rendezvous-file", &o.rendezvous_file, "FILE",
              "data-parallel training: meet through this file (on a file system every rank sees; absent or empty "
              "when the run starts) instead of --master-addr and --master-port",
              ValueKind::File);
  cmd.environment("RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT",
                  "Data-parallel training: the values of --rank, --world-size, --master-addr and --master-port "
                  "when those are not given (the variables torchrun and Slurm job scripts set).");
}

DataParallelOptions resolve_data_parallel(const Command& cmd, const DataParallelOptions& given) {
  DataParallelOptions o = data_parallel_from_environment();
  if (cmd.given("rank")) o.rank = given.rank;
  if (cmd.given("world-size")) o.world_size = given.world_size;
  if (cmd.given("master-addr")) o.master_addr = given.master_addr;
  if (cmd.given("master-port")) o.master_port = given.master_port;
  o.rendezvous_file = given.rendezvous_file;
  check_data_parallel_options(o);
  return o;
}

std::string rank_in_world(const DataParallel& parallel) {
  return "rank " + std::to_string(parallel.rank()) + " of " + std::to_string(parallel.world_size());
}

std::string written_message(const DataParallel& parallel, const std::string& output) {
  return parallel.writes() ? "wrote " + output
                           : "rank " + std::to_string(parallel.rank()) + " done (rank 0 writes the model)";
}

}  // namespace idef::cli
