#pragma once
// Checks of the paths a tool will write, made before any work starts (so an
// hour of sampling is not lost to a typo in --out): the path's folder must be
// a folder, or creatable under one, and writable.
//   check_output_file(per_point, "--per-point");  // before loading the model
// Failures are UsageError "<what> (<flag> <path>)" (exit 2).
#include <string>

namespace hold {

/// A file the tool will create or replace: not a folder itself; its nearest
/// existing ancestor is a folder we may write in (missing folders between
/// are created by the writer).
void check_output_file(const std::string& path, const std::string& flag);

/// A folder the tool will create or write into: a folder if it exists (and
/// writable), else creatable under its nearest existing ancestor.
void check_output_dir(const std::string& path, const std::string& flag);

}  // namespace hold
