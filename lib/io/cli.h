#pragma once
// The common command line of every hold-* tool (architecture.md, style.md §5.9):
//   --config FILE, --seed N, --device cpu|cuda[:i], --threads N, --set key.path=value
// and the one mapping of exceptions to exit codes:
//   ConfigError / UsageError / CLI11 parse errors  → "error: <what> (<where>)", exit 2
//   NumericalError, c10::Error, other std::exception → "error: <what>", exit 1
// Messages are one line on stderr (c10::Error without its backtrace).
//
//   int main(int argc, char** argv) {
//     std::string out;
//     return hold::run_app(argc, argv, "hold-sample", "Draw samples from a trained model.",
//         [&](CLI::App& app, hold::CommonFlags& flags) {
//           app.add_option("--out", out, "output directory")->required();
//           flags.add_config_flag(app, "--nfe", "sample.nfe", "score evaluations allowed");
//         },
//         [&](const hold::CommonFlags& flags) {
//           const hold::RunConfig config = flags.load_config();
//           ...
//           return 0;
//         });
//   }
// (apps that add options include <CLI/CLI.hpp> themselves.)
#include <functional>
#include <string>
#include <vector>

#include "hold/io/config.h"

namespace CLI {
class App;
}

namespace hold {

struct CommonFlags {
  /// --config FILE; empty when not given.
  std::string config_path;
  /// --set key.path=value, in command-line order.
  std::vector<std::string> sets;
  /// Dedicated flags that set config keys (--seed, --device, --threads and
  /// those added by add_config_flag), in command-line order.
  std::vector<ConfigOverride> flag_overrides;

  /// Adds an option `flag` (e.g. "--nfe") whose value sets the config key `key`
  /// (e.g. "sample.nfe") with the checks of the config file; errors name the flag.
  void add_config_flag(CLI::App& app, const std::string& flag, const std::string& key, const std::string& help);

  /// Loads and validates --config (the built-in defaults when there is none)
  /// with the flag overrides and then the --set ones applied; prints the
  /// config's warnings to stderr; sets the torch thread count from `threads`
  /// (0: std::thread::hardware_concurrency()). Throws ConfigError.
  RunConfig load_config() const;
};

/// Parses the command line (with --help from `description`), then runs `main`
/// and maps its exceptions to exit codes as above. Before `main` the torch
/// thread count is all cores (or --threads). Returns the exit code.
int run_app(int argc, char** argv, const std::string& name, const std::string& description,
            const std::function<void(CLI::App&, CommonFlags&)>& add_flags,
            const std::function<int(const CommonFlags&)>& main);

/// Flushes denormals to zero and tunes glibc malloc to keep freed blocks
/// (run_app calls it first; benchmarks call it to measure the same thing).
void tune_cpu_runtime();

/// Torch intra-op threads: `threads` > 0, or all cores when 0.
void set_thread_count(int threads);

/// `what` on one line: newlines and runs of whitespace become single spaces.
std::string one_line(const std::string& what);

}  // namespace hold
