// Evaluate a network with substituted parameter tensors (docs/method.md, the reenactment defence): the reenactment defence
// differentiates through an unrolled update θ' = θ − η·∇θ L, so the temporary model M' must
// compute with θ' (non-leaf tensors that carry the graph back to PG) instead of θ.
//
//   auto grads = torch::autograd::grad({inner_loss}, params, {}, true, /*create_graph=*/true);
//   std::vector<std::pair<std::string, torch::Tensor>> updated = ...;  // name → θ − η·g
//   {
//     ParameterSubstitution with_updated(*tm, updated);
//     outer_loss = influence(tm->forward(z));  // differentiable w.r.t. PG through θ'
//   }                                          // tm computes with θ again
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace idef::nets {

// While alive, the layers of `module` compute with the given tensors in place of the
// parameters of the same names (exactly the names of module.named_parameters()); the
// destructor puts the original tensors back (the same objects, so requires_grad, values
// and optimiser state are untouched). Only some parameters may be replaced; the others keep
// their values.
//
// It works by swapping the `weight`/`bias` members that the layer's forward reads, so it
// supports the layers whose forward does: Conv1d/2d/3d, ConvTranspose1d/2d/3d, Linear,
// BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm and GroupNorm — every layer of the
// networks in lib/nets. module.named_parameters() / parameters() still return the
// originals meanwhile (optimisers are not affected).
//
// Throws idef::Error (and substitutes nothing) for an unknown name, a name given twice, a
// parameter of an unsupported layer type, or a tensor whose shape, dtype or device differs
// from the parameter's. Substitutions may nest; destroy them in reverse order.
class ParameterSubstitution {
 public:
  ParameterSubstitution(torch::nn::Module& module,
                        const std::vector<std::pair<std::string, torch::Tensor>>& replacements);
  ~ParameterSubstitution();
  ParameterSubstitution(const ParameterSubstitution&) = delete;
  ParameterSubstitution& operator=(const ParameterSubstitution&) = delete;

 private:
  // The module must outlive the substitution.
  struct Swap {
    torch::Tensor* member;  // the layer's weight/bias member
    torch::Tensor original;
  };
  std::vector<Swap> swaps_;
};

}  // namespace idef::nets
