#pragma once
// Small text helpers for error messages ("<what> (<where>)").
#include <sstream>
#include <string>
#include <vector>

namespace hold {

/// A number as a user would write it (shortest default stream form).
inline std::string fmt(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

/// "a, b, c": the valid choices listed in an error message.
inline std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace hold
