// Reading a person's video for the reenactment tools (id-forge train-reenact and reenact,
// id-train-reenact): progress while frames are read, a warning for frames without a face.
#pragma once
#include <string>

#include "cli/command.h"
#include "data/talking_head.h"

namespace idef::cli {

TalkingHead read_talking_head(const Command& cmd, const std::string& input, const TalkingHeadOptions& options);

}  // namespace idef::cli
