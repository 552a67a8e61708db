// The FFmpeg pixel format of a frame layout, shared by the swscale and codec code.
// Internal to lib/io: it brings FFmpeg's headers along.
#pragma once
extern "C" {
#include <libavutil/pixfmt.h>
}

#include "io/frame.h"

namespace idef {

inline AVPixelFormat pixel_format_of(ChromaLayout layout) {
  switch (layout) {
    case ChromaLayout::Mono: return AV_PIX_FMT_GRAY8;
    case ChromaLayout::C420: return AV_PIX_FMT_YUV420P;
    case ChromaLayout::C422: return AV_PIX_FMT_YUV422P;
    case ChromaLayout::C444: return AV_PIX_FMT_YUV444P;
  }
  return AV_PIX_FMT_NONE;
}

}  // namespace idef
