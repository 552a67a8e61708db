// Typed errors that the tools map to exit codes (docs/architecture.md#conventions: 1 failure, 2 bad usage).
#pragma once
#include <stdexcept>
#include <string>

namespace idef {

// Something failed while running: exit status 1.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A named input (file, stream, model) could not be used; the message says which and why:
// "cannot read 'x.jpg': not a JPEG file".
class InputError : public Error {
 public:
  InputError(const std::string& input, const std::string& reason)
      : Error("cannot read '" + input + "': " + reason), input_(input), reason_(reason) {}
  const std::string& input() const { return input_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string input_, reason_;
};

// An output could not be written.
class OutputError : public Error {
 public:
  OutputError(const std::string& output, const std::string& reason)
      : Error("cannot write '" + output + "': " + reason) {}
};

// The command line or configuration is wrong: exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace idef
