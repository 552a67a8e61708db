// Reading PyTorch checkpoints (the zip format of torch.save, PyTorch >= 1.6) into named
// tensors, without Python (docs/import.md). LibTorch's own pickle_load cannot be used for
// state dicts: the one Debian ships (1.13) reads every collections.OrderedDict as None.
#pragma once
#include <string>
#include <vector>

#include "model/model_file.h"

namespace idef {

// The state dict a checkpoint holds: the file itself (torch.save(net.state_dict(), f)), or
// the entry `key` of a dict saved by torch.save ({"G": ..., "D": ..., "iteration": ...});
// with `key` empty, the one entry of such a dict that is a state dict. Names keep the file's
// order; a "module." prefix on every name (nn.DataParallel) is removed. Tensors are
// contiguous CPU copies in their saved dtype.
//
// Throws InputError naming the file and the reason: missing or unreadable, truncated or
// damaged, not a checkpoint, PyTorch's legacy format (with the one-line re-save command),
// no state dict, several without `key`, `key` absent (the keys it holds are listed), or
// a tensor of a kind it cannot read (sparse, quantised, another byte order).
NamedTensors read_pytorch_state_dict(const std::string& path, const std::string& key = "");

}  // namespace idef
