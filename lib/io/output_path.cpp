#include "hold/io/output_path.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "hold/core/error.h"

namespace hold {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void reject(const std::string& what, const std::string& flag, const std::string& path) {
  throw UsageError(what + " (" + flag + " " + path + ")");
}

/// The nearest ancestor of `path` that exists ("." for a relative name).
fs::path existing_ancestor(const fs::path& path) {
  fs::path p = path.parent_path();
  std::error_code ec;
  while (!p.empty() && !fs::exists(p, ec)) p = p.parent_path();
  return p.empty() ? fs::path(".") : p;
}

/// `dir` (existing) is a folder we may create entries in.
void check_writable_folder(const fs::path& dir, const std::string& flag, const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) reject("'" + dir.string() + "' is not a folder", flag, path);
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    reject("cannot write in '" + dir.string() + "': " + std::strerror(errno), flag, path);
  }
}

}  // namespace

void check_output_file(const std::string& path, const std::string& flag) {
  if (path.empty()) reject("the path is empty", flag, path);
  std::error_code ec;
  if (fs::is_directory(path, ec)) reject("a folder exists at the file's path", flag, path);
  check_writable_folder(existing_ancestor(fs::path(path)), flag, path);
}

void check_output_dir(const std::string& path, const std::string& flag) {
  if (path.empty()) reject("the path is empty", flag, path);
  std::error_code ec;
  if (fs::exists(path, ec)) {
    check_writable_folder(fs::path(path), flag, path);
    return;
  }
  check_writable_folder(existing_ancestor(fs::path(path)), flag, path);
}

}  // namespace hold
