// Writes a file under a temporary name in its destination directory and renames it into
// place on commit(), so no reader ever sees half a file and a failed run leaves nothing.
// Replacing a file keeps its permissions and owner; a temporary is private (0600) while it
// is written. Temporaries of runs that died (SIGKILL) are removed by the next writer into
// the same folder, and those of a run stopped by a signal by remove_temporaries_on_signal().
#pragma once
#include <string>

namespace idef {

class AtomicFile {
 public:
  // `destination` is the final path; the temporary name keeps its extension, so writers
  // that choose the format by extension (libvips, libavformat) still see it. The
  // temporary is created here (empty, mode 0600); writers open it again by name.
  explicit AtomicFile(std::string destination);
  ~AtomicFile();  // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& temp_path() const { return temp_; }
  const std::string& destination() const { return dest_; }
  // fsyncs the temporary file, gives it the mode and owner of the file it replaces (a new
  // file: 0666 less the umask) and renames it over the destination.
  void commit();

 private:
  std::string dest_, temp_;
  int slot_ = -1;  // in the registry of live temporaries
  bool committed_ = false;
};

// Whether `name` (a file name, no folder) is a temporary of AtomicFile; `pid` gets its writer.
bool is_atomic_temporary(const std::string& name, long* pid = nullptr);

// On SIGINT, SIGTERM or SIGHUP: removes every temporary still being written, prints
// "PROGRAM: stopped by signal N" and dies of the signal (a handler set later wins).
void remove_temporaries_on_signal(const std::string& program);

// Reads a whole file or, for "-", standard input.
std::string read_all(const std::string& path);
// Writes bytes atomically to a file or, for "-", to standard output.
void write_all(const std::string& path, const std::string& bytes);

}  // namespace idef
