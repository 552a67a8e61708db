// Writes a file under a temporary name in its destination directory and renames it into
// place on commit(), so no reader ever sees half a file and a failed run leaves nothing.
#pragma once
#include <string>

namespace idef {

class AtomicFile {
 public:
  // `destination` is the final path; the temporary name keeps its extension, so writers
  // that choose the format by extension (libvips, libavformat) still see it.
  explicit AtomicFile(std::string destination);
  ~AtomicFile();  // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& temp_path() const { return temp_; }
  const std::string& destination() const { return dest_; }
  // fsyncs the temporary file and renames it over the destination.
  void commit();

 private:
  std::string dest_, temp_;
  bool committed_ = false;
};

// Reads a whole file or, for "-", standard input.
std::string read_all(const std::string& path);
// Writes bytes atomically to a file or, for "-", to standard output.
void write_all(const std::string& path, const std::string& bytes);

}  // namespace idef
