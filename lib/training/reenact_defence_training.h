// Trains the perturbation generator of the reenactment defence on one person's video
// (id-train-reenact): the alternating loop of ReenactDefenceTrainer, or with alternate = false
// the paper's ablation † (train SM first, freeze it, start TM from it, then train PG).
// The last `validation_frames` frames of the video are held out: PG_best is chosen on them.
// Checkpoints, --resume and sample sheets as the other training tools.
#pragma once
#include <cstdint>
#include <string>

#include "nets/translator.h"
#include "training/editor_training.h"
#include "training/reenact_defence_trainer.h"

namespace idef {

class TalkingHead;

struct ReenactDefenceOptions {
  nets::TranslatorConfig surrogate;    // SM and TM (the forger's architecture as the defender guesses it)
  int d_width = 64;                    // their PatchGANs' ndf
  int db_width = 64;                   // DB's conv_dim
  nets::TranslatorConfig generator;    // PG
  ReenactDefenceSettings settings;     // settings.stage_a.iterations is set from the schedule
  std::int64_t iterations = 20000;     // PG iterations (alternating: also SM's)
  std::int64_t decay_iterations = 10000;
  bool alternate = true;
  std::int64_t surrogate_iterations = -1;  // alternate = false: SM's iterations first (-1: `iterations`)
  // Alternating only: every N PG iterations SM and TM start over together from fresh random
  // weights (drawn from the seed and the restart's number), so that PG learns against the
  // forger's model at every stage of its training from scratch, not only against one model
  // that has long converged (MetaPoison's re-initialised surrogates). SM and TM then train
  // at their full learning rate throughout, with no decay (0: never).
  std::int64_t restart_every = 0;
  int batch = 1;
  std::uint64_t seed = 1;
  std::int64_t validate_every = 500;
  int validation_frames = 16;          // held out from the end of the video
  std::string output;                  // PG_best as a perturbation model (task "reenact")
  std::string surrogate_output;        // optional: the final SM as a reenactor model
  // Optional: start SM (and its PatchGAN, when the file carries one) from a reenactor model,
  // id-forge's or one imported by id-forge import; its architecture, width and size must
  // be `surrogate`'s.
  std::string surrogate_init;
  std::string checkpoint;              // empty: OUTPUT.ckpt
  std::int64_t checkpoint_every = 1000;
  bool resume = false;
  std::string samples_dir;
  std::int64_t sample_every = 1000;
  std::string device = "cpu";
};

// Events: per iteration its losses ("SM/…", "SD/…", "DB/…", "PG/…", "TM/…", and
// "val/distance", "val/best" at validation).
// With `parallel` over several ranks, each rank trains on its share of the training frames;
// the held-out frames are every rank's; rank 0 alone writes the checkpoints, samples and model.
TrainingResult train_reenact_defence(const ReenactDefenceOptions& options, const TalkingHead& video,
                                     const TrainingEvents& events, const DataParallel& parallel = single_process());

}  // namespace idef
