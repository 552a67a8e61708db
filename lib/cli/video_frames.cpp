#include "cli/video_frames.h"

#include "cli/progress.h"

namespace idef::cli {

TalkingHead read_talking_head(const Command& cmd, const std::string& input, const TalkingHeadOptions& options) {
  Log log(cmd.program(), cmd.common().quiet);
  TalkingHead head;
  {
    Progress progress(cmd.common(), "frames", -1);
    head = TalkingHead::load(input, options, [&](std::int64_t n) { progress.update(n); });
    progress.finish();
  }
  if (!head.skipped().empty())
    log.warn("'" + input + "': " + std::to_string(head.skipped().size()) +
             " frames without a face skipped (the first: frame " + std::to_string(head.skipped().front()) + ")");
  log.info("'" + input + "': " + std::to_string(head.count()) + " frames with a face");
  return head;
}

}  // namespace idef::cli
