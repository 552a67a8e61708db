// libvips (through GLib) and FFmpeg print their own warnings and errors on stderr: lines
// like "VIPS-WARNING **: error in tile 0 x 368" or "[h264 @ 0x5562...] Invalid NAL unit size"
// came before the tool's own message, which already says what failed and why. A tool routes
// them here once at start: dropped, or with --verbose printed after its name
// ("id-poison: libav: ...") so the first line a user sees is always the tool's.
#pragma once
#include <string>

namespace idef {

// verbose: print each library message of warning level or worse on stderr as
// "PROGRAM: libav: ..." / "PROGRAM: libvips: ..."; otherwise drop them. Call before the
// libraries run (later calls replace the earlier choice).
void route_library_messages(const std::string& program, bool verbose);

}  // namespace idef
