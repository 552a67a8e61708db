// Option groups of the training tools, bound straight to the training library's settings so
// that a tool neither defines an option block of its own nor copies options field by field.
// id-forge train-attr and id-train-attr (stage A) share the StarGAN block; every training
// tool shares the checkpoint block.
#pragma once
#include <string>

#include "cli/command.h"
#include "training/data_parallel.h"
#include "training/stargan_trainer.h"

namespace idef::cli {

// How a tool names the two networks of its StarGAN block: id-forge's editor is "the
// generator" with --lr-g and --lr-d; id-train-attr's is the surrogate SM with --lr-sm and
// --lr-da, its help lines starting "stage A: ".
struct StarGanNames {
  std::string lr_g = "lr-g", lr_d = "lr-d";
  std::string generator = "generator", critic = "discriminator";
  std::string help_prefix;
};

// Adam's learning rates, n-critic and the loss weights lambda-cls, -rec, -gp and -id.
// (Adam's betas stay StarGAN's 0.5 and 0.999.)
void add_stargan_options(Command& cmd, StarGanSettings& s, const StarGanNames& names = {});

// --checkpoint, --checkpoint-every, --resume, --samples and --sample-every into any options
// struct with the fields checkpoint, checkpoint_every, resume, samples_dir and sample_every.
template <class Training>
void add_checkpoint_options(Command& cmd, Training& t, const std::string& samples_help) {
  cmd.option("checkpoint", &t.checkpoint, "FILE", "checkpoint file [default: OUTPUT.ckpt]", ValueKind::File)
      .option("checkpoint-every", &t.checkpoint_every, "N", "write a checkpoint every N iterations")
      .range(0, 1e9)
      .flag("resume", &t.resume, "continue from the checkpoint if there is one")
      .option("samples", &t.samples_dir, "DIR", samples_help, ValueKind::Directory)
      .option("sample-every", &t.sample_every, "N", "write a sample sheet every N iterations")
      .range(0, 1e9);
}

// Data-parallel training (--rank, --world-size, --master-addr, --master-port,
// --rendezvous-file), with torchrun's variables in the man page's ENVIRONMENT section.
void add_data_parallel_options(Command& cmd, DataParallelOptions& o);
// After parsing: torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) for the
// options not given, then checked (UsageError).
DataParallelOptions resolve_data_parallel(const Command& cmd, const DataParallelOptions& given);
// "rank R of W", for a training tool's log lines.
std::string rank_in_world(const DataParallel& parallel);
// A training tool's last line: "wrote OUTPUT" on rank 0, that rank 0 writes it on the others.
std::string written_message(const DataParallel& parallel, const std::string& output);

}  // namespace idef::cli
