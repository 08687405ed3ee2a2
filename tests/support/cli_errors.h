#pragma once
// The contract of every bad input (README: one line naming the key, flag or
// path, exit code 2), checked on a tool's output, for the [cli] tests.
#include <catch2/catch.hpp>

#include <string>

#include "support/run_tool.h"

namespace hold::test {

/// Exit 2 and a single "error: ..." line that contains `needle`, no crash trace.
inline void check_one_line_error(const ToolRun& r, const std::string& needle) {
  INFO(r.out);
  CHECK(r.code == 2);
  const auto at = r.out.find("error: ");
  REQUIRE(at != std::string::npos);
  const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
  CHECK(line.find(needle) != std::string::npos);
  CHECK(r.out.find("terminate") == std::string::npos);
  CHECK(r.out.find("frame #") == std::string::npos);
}

}  // namespace hold::test
