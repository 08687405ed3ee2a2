#pragma once
// Small text helpers for error messages ("<what> (<where>)").
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace hold {

/// A number as a user would write it: the shortest text that reads back as
/// the same double ("0.1", "1e-05", ".inf" and ".nan" as YAML spells them).
inline std::string fmt(double v) {
  if (std::isnan(v)) return ".nan";
  if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
  char buf[40];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

/// "a, b, c": the valid choices listed in an error message ("a | b | c" for
/// --help with separator " | ").
inline std::string join(const std::vector<std::string>& names, const std::string& separator = ", ") {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : separator) + n;
  return out;
}

}  // namespace hold
