#include "core/folder_walk.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "core/error.h"

namespace fs = std::filesystem;

namespace idef {

fs::path resolved_path(const fs::path& p) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(fs::absolute(p), ec);
  return ec ? fs::absolute(p).lexically_normal() : r;
}

namespace {

bool is_hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.' && name != "." && name != "..";
}

}  // namespace

std::vector<std::string> walk_folder(const std::string& root, const std::string& exclude) {
  const fs::path excluded = exclude.empty() ? fs::path() : resolved_path(exclude);
  std::vector<std::string> found;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) throw InputError(root, ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) {  // an unreadable entry: skip it, keep walking
      ec.clear();
      continue;
    }
    const fs::path& path = it->path();
    const bool dir = it->is_directory(ec) && !it->is_symlink(ec);
    if (is_hidden(path) || (dir && !excluded.empty() && resolved_path(path) == excluded)) {
      if (dir) it.disable_recursion_pending();
      continue;
    }
    if (!dir && it->is_regular_file(ec)) found.push_back(fs::relative(path, root).string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace idef
