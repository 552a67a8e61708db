#include "io/byte_stream.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <istream>
#include <mutex>
#include <ostream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace idef {

void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

std::string stream_display_name(const std::string& path, bool output) {
  if (path == "-") return output ? "<stdout>" : "<stdin>";
  return path;
}

namespace {

bool is_pipe_or_socket(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

class FileSource : public ByteSource {
 public:
  FileSource(std::FILE* file, bool owned, std::string name)
      : ByteSource(std::move(name)), file_(file), owned_(owned) {}
  ~FileSource() override {
    if (owned_) std::fclose(file_);
  }
  std::size_t read(void* buffer, std::size_t n) override {
    std::size_t got = std::fread(buffer, 1, n, file_);
    if (got < n && std::ferror(file_)) throw InputError(name_, std::strerror(errno));
    return got;
  }
  int get() override {
    int c = std::getc(file_);
    if (c == EOF && std::ferror(file_)) throw InputError(name_, std::strerror(errno));
    return c;
  }

 private:
  std::FILE* file_;
  bool owned_;
};

class StreamSource : public ByteSource {
 public:
  StreamSource(std::istream& in, std::string name) : ByteSource(std::move(name)), in_(in) {}
  std::size_t read(void* buffer, std::size_t n) override {
    in_.read(static_cast<char*>(buffer), static_cast<std::streamsize>(n));
    if (in_.bad()) throw InputError(name_, "read error");
    return static_cast<std::size_t>(in_.gcount());
  }
  int get() override {
    int c = in_.get();
    if (in_.bad()) throw InputError(name_, "read error");
    return c == std::char_traits<char>::eof() ? -1 : c;
  }

 private:
  std::istream& in_;
};

class PrefixedSource : public ByteSource {
 public:
  PrefixedSource(std::string prefix, std::unique_ptr<ByteSource> rest)
      : ByteSource(rest->name()), prefix_(std::move(prefix)), rest_(std::move(rest)) {}
  std::size_t read(void* buffer, std::size_t n) override {
    std::size_t from_prefix = std::min(n, prefix_.size() - used_);
    std::memcpy(buffer, prefix_.data() + used_, from_prefix);
    used_ += from_prefix;
    if (from_prefix == n) return n;
    return from_prefix + rest_->read(static_cast<char*>(buffer) + from_prefix, n - from_prefix);
  }
  int get() override {
    if (used_ < prefix_.size()) return static_cast<unsigned char>(prefix_[used_++]);
    return rest_->get();
  }

 private:
  std::string prefix_;
  std::size_t used_ = 0;
  std::unique_ptr<ByteSource> rest_;
};

class FileSink : public ByteSink {
 public:
  // `atomic` is set when we write a named file under a temporary name.
  FileSink(std::FILE* file, bool owned, std::string name, std::unique_ptr<AtomicFile> atomic = nullptr)
      : ByteSink(std::move(name)), file_(file), owned_(owned), atomic_(std::move(atomic)) {
    if (is_pipe_or_socket(fileno(file_))) ignore_sigpipe();
  }
  ~FileSink() override {
    if (owned_ && file_) std::fclose(file_);
  }
  void write(const void* data, std::size_t n) override {
    if (n && std::fwrite(data, 1, n, file_) != n) fail();
  }
  void finish() override {
    if (std::fflush(file_) != 0) fail();
    if (owned_) {
      int rc = std::fclose(file_);
      file_ = nullptr;
      if (rc != 0) throw OutputError(name_, std::strerror(errno));
    }
    if (atomic_) atomic_->commit();
  }

 private:
  [[noreturn]] void fail() {
    if (errno == EPIPE) {
      throw BrokenPipe(name_);
    }
    throw OutputError(name_, std::strerror(errno));
  }

  std::FILE* file_;
  bool owned_;
  std::unique_ptr<AtomicFile> atomic_;
};

class StreamSink : public ByteSink {
 public:
  StreamSink(std::ostream& out, std::string name) : ByteSink(std::move(name)), out_(out) {}
  void write(const void* data, std::size_t n) override {
    out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    if (!out_) throw OutputError(name_, "write failed");
  }
  void finish() override {
    out_.flush();
    if (!out_) throw OutputError(name_, "write failed");
  }

 private:
  std::ostream& out_;
};

}  // namespace

std::unique_ptr<ByteSource> ByteSource::open(const std::string& path) {
  if (path == "-") return std::make_unique<FileSource>(stdin, false, "<stdin>");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw InputError(path, std::strerror(errno));
  return std::make_unique<FileSource>(f, true, path);
}

std::unique_ptr<ByteSource> ByteSource::from_file(std::FILE* file, std::string name) {
  return std::make_unique<FileSource>(file, false, std::move(name));
}

std::unique_ptr<ByteSource> ByteSource::from_fd(int fd, std::string name) {
  int copy = ::dup(fd);  // our FILE owns the copy; the caller keeps its descriptor
  std::FILE* f = copy >= 0 ? ::fdopen(copy, "rb") : nullptr;
  if (!f) {
    if (copy >= 0) ::close(copy);
    throw InputError(name, std::strerror(errno));
  }
  return std::make_unique<FileSource>(f, true, std::move(name));
}

std::unique_ptr<ByteSource> ByteSource::from_stream(std::istream& in, std::string name) {
  return std::make_unique<StreamSource>(in, std::move(name));
}

std::unique_ptr<ByteSource> ByteSource::with_prefix(std::string prefix, std::unique_ptr<ByteSource> rest) {
  return std::make_unique<PrefixedSource>(std::move(prefix), std::move(rest));
}

std::unique_ptr<ByteSink> ByteSink::open(const std::string& path) {
  if (path == "-") return std::make_unique<FileSink>(stdout, false, "<stdout>");
  auto atomic = std::make_unique<AtomicFile>(path);
  std::FILE* f = std::fopen(atomic->temp_path().c_str(), "wb");
  if (!f) throw OutputError(path, std::strerror(errno));
  return std::make_unique<FileSink>(f, true, path, std::move(atomic));
}

std::unique_ptr<ByteSink> ByteSink::from_file(std::FILE* file, std::string name) {
  return std::make_unique<FileSink>(file, false, std::move(name));
}

std::unique_ptr<ByteSink> ByteSink::from_fd(int fd, std::string name) {
  int copy = ::dup(fd);
  std::FILE* f = copy >= 0 ? ::fdopen(copy, "wb") : nullptr;
  if (!f) {
    if (copy >= 0) ::close(copy);
    throw OutputError(name, std::strerror(errno));
  }
  return std::make_unique<FileSink>(f, true, std::move(name));
}

std::unique_ptr<ByteSink> ByteSink::from_stream(std::ostream& out, std::string name) {
  return std::make_unique<StreamSink>(out, std::move(name));
}

}  // namespace idef
