// run_app: common flags reach the config, and exceptions become exit codes.
#include <c10/util/Exception.h>

#include "hold/core/error.h"
#include "hold/io/cli.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {
namespace {

/// Runs run_app on the given arguments with `body` as main.
int run(std::vector<std::string> args, const std::function<int(const CommonFlags&)>& body,
        const std::function<void(CLI::App&, CommonFlags&)>& add_flags = {}) {
  args.insert(args.begin(), "hold-test");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return run_app(static_cast<int>(argv.size()), argv.data(), "hold-test", "test app", add_flags, body);
}

}  // namespace

TEST_CASE("common flags and app flags override config keys", "[io][cli]") {
  RunConfig seen;
  const int rc = run(
      {"--seed", "5", "--set", "sde.beta=3", "--set", "train.lr=0.01", "--nfe", "20"},
      [&](const CommonFlags& f) {
        seen = f.load_config();
        return 0;
      },
      [](CLI::App& app, CommonFlags& f) { f.add_config_flag(app, "--nfe", "sample.nfe", "NFE"); });
  CHECK(rc == 0);
  CHECK(seen.seed == 5);
  CHECK(seen.sde.beta == 3);
  CHECK(seen.train.lr == 0.01);
  CHECK(seen.sample.nfe == 20);
  CHECK(seen.where("sample.nfe") == "--nfe");
  CHECK(seen.source == "defaults");
}

TEST_CASE("errors map to exit codes 2 (usage) and 1 (runtime)", "[io][cli]") {
  const auto load = [](const CommonFlags& f) {
    f.load_config();
    return 0;
  };
  CHECK(run({"--set", "train.lr=0"}, load) == 2);
  CHECK(run({"--seed", "abc"}, load) == 2);
  CHECK(run({"--config", "/nonexistent/hold.yaml"}, load) == 2);
  CHECK(run({"--bogus"}, load) == 2);  // CLI11 parse error
  CHECK(run({}, [](const CommonFlags&) -> int { throw UsageError("bad (x)"); }) == 2);
  CHECK(run({}, [](const CommonFlags&) -> int { throw NumericalError("chol failed (hold t=1e-5 Q)"); }) == 1);
  CHECK(run({}, [](const CommonFlags&) -> int { throw std::runtime_error("boom"); }) == 1);
  CHECK(run({}, [](const CommonFlags&) -> int { TORCH_CHECK(false, "torch says no"); }) == 1);
  CHECK(run({}, [](const CommonFlags&) { return 3; }) == 3);
}

TEST_CASE("one_line joins a multi-line message", "[io][cli]") {
  CHECK(one_line("a\nb  c\n\n") == "a b c");
  CHECK(one_line("  x ") == "x");
}

}  // namespace hold
