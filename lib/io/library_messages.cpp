#include "io/library_messages.h"

#include <cstdarg>
#include <cstdio>
#include <mutex>

#include <glib.h>
extern "C" {
#include <libavutil/log.h>
}

namespace idef {

namespace {

std::mutex mutex;     // guards the two below and serialises printing
std::string program;  // empty: drop
bool verbose = false;

void print(const char* library, const std::string& message) {
  std::lock_guard<std::mutex> hold(mutex);
  if (!verbose) return;
  std::string text = message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (!text.empty()) std::fprintf(stderr, "%s: %s: %s\n", program.c_str(), library, text.c_str());
}

// FFmpeg may send one line in several calls: each thread collects its pieces up to '\n'.
void av_callback(void* context, int level, const char* format, va_list args) {
  if (level > AV_LOG_WARNING) return;
  thread_local int print_prefix = 1;
  thread_local std::string line;
  char piece[1024];
  av_log_format_line2(context, level, format, args, piece, sizeof piece, &print_prefix);
  line += piece;
  if (!line.empty() && line.back() == '\n') {
    print("libav", line);
    line.clear();
  }
}

void glib_handler(const gchar* domain, GLogLevelFlags level, const gchar* message, gpointer) {
  if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))) return;
  print(domain && std::string(domain) == "VIPS" ? "libvips" : domain ? domain : "glib", message ? message : "");
}

}  // namespace

void route_library_messages(const std::string& name, bool show) {
  {
    std::lock_guard<std::mutex> hold(mutex);
    program = name;
    verbose = show;
  }
  av_log_set_callback(av_callback);
  g_log_set_default_handler(glib_handler, nullptr);
}

}  // namespace idef
