#pragma once
// The whole content of a file as bytes ("" when it cannot be read), for tests.
#include <fstream>
#include <sstream>
#include <string>

namespace hold::test {

inline std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace hold::test
