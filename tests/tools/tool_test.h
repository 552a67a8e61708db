// Running the real id-* binaries from CLI tests.
#pragma once
#include <string>

#include "test_util.h"

namespace idef::test {

// Path of a built tool, e.g. tool("id-forge").
inline std::string tool(const std::string& name) { return std::string(ID_BINARY_DIR) + "/" + name; }

// A path or word in single quotes for the shell of run_tool/run_command (test paths hold no quote).
inline std::string q(const std::string& s) { return "'" + s + "'"; }

// Whether a tool's output contains `what`.
inline bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

// Runs a tool with shell-quoted arguments already in `args`.
inline CommandResult run_tool(const std::string& name, const std::string& args) {
  return run_command(q(tool(name)) + " " + args);
}

}  // namespace idef::test
