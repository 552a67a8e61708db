// Byte sources and sinks for the frame streams (y4m, raw rgb24): a file, "-" for
// stdin/stdout, a FILE*, a file descriptor or a C++ stream.
//
// Broken pipes: in `ffmpeg ... | id-poison | head`, the reader may leave early. Writing
// to a pipe ignores SIGPIPE (process-wide, once) so the process is not killed, and a write
// that fails with EPIPE throws BrokenPipe. BrokenPipe is deliberately NOT an idef::Error:
// the consumer chose to stop reading, so tools catch it before Error and exit 0 quietly.
#pragma once
#include <cstddef>
#include <cstdio>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>

namespace idef {

class AtomicFile;

class BrokenPipe : public std::runtime_error {
 public:
  explicit BrokenPipe(const std::string& output)
      : std::runtime_error("'" + output + "': reader closed the pipe"), output_(output) {}
  const std::string& output() const { return output_; }

 private:
  std::string output_;
};

// Makes writes to a closed pipe fail with EPIPE instead of killing the process.
void ignore_sigpipe();

// Name used in messages: "<stdin>"/"<stdout>" for "-".
std::string stream_display_name(const std::string& path, bool output);

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes, fewer only at end of stream. Throws InputError on read errors.
  virtual std::size_t read(void* buffer, std::size_t n) = 0;
  // One byte, or -1 at end of stream.
  virtual int get() = 0;
  const std::string& name() const { return name_; }

  static std::unique_ptr<ByteSource> open(const std::string& path);  // "-" = stdin
  static std::unique_ptr<ByteSource> from_file(std::FILE* file, std::string name);  // not owned
  static std::unique_ptr<ByteSource> from_fd(int fd, std::string name);  // not owned
  static std::unique_ptr<ByteSource> from_stream(std::istream& in, std::string name);
  // `prefix` (bytes already taken from `rest`, e.g. to sniff the format of a pipe that
  // cannot seek back), then the rest; named like `rest`.
  static std::unique_ptr<ByteSource> with_prefix(std::string prefix, std::unique_ptr<ByteSource> rest);

 protected:
  explicit ByteSource(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Writes all n bytes or throws OutputError / BrokenPipe.
  virtual void write(const void* data, std::size_t n) = 0;
  // Flushes; for a file opened by path, also renames the temporary file into place.
  virtual void finish() = 0;
  const std::string& name() const { return name_; }

  // "-" = stdout; a path is written through AtomicFile (nothing appears until finish()).
  static std::unique_ptr<ByteSink> open(const std::string& path);
  static std::unique_ptr<ByteSink> from_file(std::FILE* file, std::string name);  // not owned
  static std::unique_ptr<ByteSink> from_fd(int fd, std::string name);  // not owned
  static std::unique_ptr<ByteSink> from_stream(std::ostream& out, std::string name);

 protected:
  explicit ByteSink(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace idef
