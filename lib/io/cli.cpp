#include "hold/io/cli.h"

#include <malloc.h>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <thread>

#include "hold/core/build_info.h"
#include "hold/core/error.h"

namespace hold {

void CommonFlags::add_config_flag(CLI::App& app, const std::string& flag, const std::string& key,
                                  const std::string& help) {
  app.add_option_function<std::string>(
      flag,
      [this, flag, key](const std::string& value) {
        flag_overrides.push_back({key, value, flag});
      },
      help + " (sets " + key + ")");
}

RunConfig CommonFlags::load_config() const {
  RunConfig config = config_path.empty() ? parse_config("", "defaults", sets, flag_overrides)
                                         : hold::load_config(config_path, sets, flag_overrides);
  for (const auto& w : config.warnings) std::fprintf(stderr, "warning: %s\n", one_line(w).c_str());
  set_thread_count(config.threads);
  return config;
}

void set_thread_count(int threads) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  at::set_num_threads(threads > 0 ? threads : static_cast<int>(cores));
}

std::string one_line(const std::string& what) {
  std::string out;
  bool space = false;
  for (char ch : what) {
    if (ch == '\n' || ch == '\r' || ch == '\t' || ch == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(ch);
  }
  return out;
}

namespace {

int report(const std::string& what, int code) {
  std::fprintf(stderr, "error: %s\n", one_line(what).c_str());
  return code;
}

}  // namespace

void tune_cpu_runtime() {
  // Denormal floats cost ~100x per operation on x86; a network fed states far
  // from the data (an untrained net, the first reverse steps) produces them in
  // SiLU's tails. Flushing them to zero changes nothing above 1e-38 and made
  // 150 lt steps of the toy MLP 1.3x faster.
  at::globalContext().setFlushDenormal(true);
  // glibc returns large freed blocks to the kernel (mmap / trim), so every
  // training or sampling step page-faults its activations back in (measured:
  // 12 % kernel time at batch 512). Keep them in the heap instead.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

int run_app(int argc, char** argv, const std::string& name, const std::string& description,
            const std::function<void(CLI::App&, CommonFlags&)>& add_flags,
            const std::function<int(const CommonFlags&)>& main) {
  tune_cpu_runtime();
  CommonFlags flags;
  CLI::App app(description, name);
  try {
    app.set_version_flag(
        "--version", [] { return version_report(); },
        "print hold's version and build (LibTorch, CUDA, cuDNN, NCCL, BLAS, OpenMP, GPUs) and exit");
    app.add_option("--config", flags.config_path, "run config (YAML); see docs/configuration.md");
    flags.add_config_flag(app, "--seed", "seed", "random seed");
    flags.add_config_flag(app, "--device", "device", "cpu, cuda or cuda:<index>");
    flags.add_config_flag(app, "--threads", "threads", "CPU threads for torch, 0: all cores");
    app.add_option("--set", flags.sets, "override any config key: --set key.path=value (repeatable)")
        ->allow_extra_args(false);
    if (add_flags) add_flags(app, flags);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    return report(e.what(), 2);
  } catch (const CLI::Error& e) {  // a bad option definition in the app itself
    return report(e.what(), 1);
  }
  try {
    // All cores until the config says otherwise (load_config applies `threads`).
    set_thread_count(0);
    return main(flags);
  } catch (const UsageError& e) {  // ConfigError included
    return report(e.what(), 2);
  } catch (const NumericalError& e) {
    return report(e.what(), 1);
  } catch (const c10::Error& e) {
    return report(e.what_without_backtrace(), 1);
  } catch (const std::exception& e) {
    return report(e.what(), 1);
  }
}

}  // namespace hold
