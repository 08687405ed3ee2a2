#pragma once
// Runs a built hold-* tool (HOLD_BINARY_DIR/bin) through the shell, for the [cli] tests.
//   const hold::test::ToolRun r = hold::test::run_tool("hold-inspect --plot-metrics m.jsonl --out m.png");
//   CHECK(r.code == 0);
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace hold::test {

struct ToolRun {
  int code;         ///< exit status; -1 when killed by a signal
  std::string out;  ///< stdout and stderr together
};

/// Runs a shell command line; stdout and stderr together.
inline ToolRun run_shell(const std::string& command) {
  const std::string cmd = command + " 2>&1";
  ToolRun r{-1, ""};
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// The built tool `args` names first (e.g. "hold-inspect --json ...").
inline std::string tool_path(const std::string& name) { return std::string(HOLD_BINARY_DIR) + "/bin/" + name; }

inline ToolRun run_tool(const std::string& args) { return run_shell(tool_path(args)); }

}  // namespace hold::test
