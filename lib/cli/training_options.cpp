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

}  // namespace idef::cli
