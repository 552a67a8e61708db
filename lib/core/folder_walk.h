// Walking a folder tree: every tool that takes a folder reads it through this one function.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace idef {

// A path as the file system resolves it (symbolic links followed, "." and ".." removed), for
// telling whether two names are one file.
std::filesystem::path resolved_path(const std::filesystem::path& p);

// The files of a folder tree, in a stable order, by the one set of rules every tool walks
// folders with: hidden files and folders (names starting with '.': the tools' own lock,
// records and temporaries among them) are skipped, symbolic links to folders are not
// followed (a loop cannot form), `exclude` (a folder, e.g. the run's output) is not entered,
// and an unreadable subfolder is skipped rather than fatal. Returns paths relative to `root`.
std::vector<std::string> walk_folder(const std::string& root, const std::string& exclude = "");

}  // namespace idef
