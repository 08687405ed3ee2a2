// Data parallelism (train/distributed.h, issue 5): the launch environment, SLURM
// host lists, and hold-train as 2 processes over Gloo on loopback against 1
// process on the same global batches; a killed peer ends the survivor.
#include "hold/train/distributed.h"

#include <ATen/ATen.h>

#include <fstream>
#include <map>
#include <string>

#include "hold/core/error.h"
#include "hold/train/checkpoint.h"
#include "support/run_tool.h"
#include "support/temp_dir.h"
#include "support/usage_error.h"

#include <catch2/catch.hpp>

namespace hold {
namespace {

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

std::string error_of(const std::map<std::string, std::string>& vars) {
  try {
    read_launch_env(fake_env(vars));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

/// A distinct loopback port per call (tests run in parallel under CTest).
std::string next_port() {
  static int offset = 0;
  return std::to_string(31000 + (::getpid() % 2000) * 4 + offset++ % 4);
}

const char* kToyConfig =
    "seed: 1\nsde: {name: hold}\ndata: {name: gmm1d}\nmodel: {name: mlp, hidden: 32, layers: 3}\n"
    "train: {steps: 20, batch_size: 64, lr: 1.0e-3, log_every: 5, ckpt_every: 20}\n"
    "distributed: {timeout_s: 5}\n";

/// Starts ranks 0 and 1 of a long toy run on loopback, waits until rank 0 has
/// logged its first steps (both ranks have joined; at most 60 s: a fixed wait
/// ran out under load, e.g. the sanitized build), runs `then` (with $p0, $p1
/// the ranks' PIDs; rank 0's output in rank0.log), and returns the shell's output.
test::ToolRun two_long_ranks(const test::TempDir& dir, const std::string& then) {
  std::string config = kToyConfig;
  config.replace(config.find("steps: 20"), 9, "steps: 10000000");
  std::ofstream(dir.file("toy.yaml")) << config;
  const std::string bin =
      test::tool_path("hold-train") + " --config " + dir.file("toy.yaml") + " --threads 1 --workdir " + dir.file("run");
  return test::run_shell("export WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + next_port() + "; " + "RANK=0 " +
                         bin + " > " + dir.file("rank0.log") + " 2>&1 & p0=$!; " + "RANK=1 " + bin +
                         " > /dev/null 2>&1 & p1=$!; for i in $(seq 600); do [ -s " + dir.file("run/metrics.jsonl") +
                         " ] && break; sleep 0.1; done; " + then);
}

}  // namespace

TEST_CASE("launch environment: torchrun's and SLURM's variables", "[distributed]") {
  const LaunchEnv none = read_launch_env(fake_env({}));
  CHECK_FALSE(none.distributed());
  CHECK(none.source.empty());

  const LaunchEnv torchrun = read_launch_env(fake_env(
      {{"WORLD_SIZE", "8"}, {"RANK", "5"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "1234"}}));
  CHECK(torchrun.source == "torchrun");
  CHECK(torchrun.world_size == 8);
  CHECK(torchrun.rank == 5);
  CHECK(torchrun.local_rank == 1);
  CHECK(torchrun.master_addr == "node7");
  CHECK(torchrun.master_port == 1234);

  const LaunchEnv slurm = read_launch_env(fake_env({{"SLURM_NTASKS", "16"},
                                                    {"SLURM_PROCID", "9"},
                                                    {"SLURM_LOCALID", "1"},
                                                    {"SLURM_JOB_NODELIST", "gpu[03-04,09]"}}));
  CHECK(slurm.source == "slurm");
  CHECK(slurm.world_size == 16);
  CHECK(slurm.rank == 9);
  CHECK(slurm.local_rank == 1);
  CHECK(slurm.master_addr == "gpu03");
  CHECK(slurm.master_port == 29500);
  // torchrun's names win over SLURM's when both are set (torchrun under srun).
  CHECK(
      read_launch_env(
          fake_env(
              {{"WORLD_SIZE", "2"}, {"RANK", "1"}, {"MASTER_ADDR", "a"}, {"SLURM_NTASKS", "4"}, {"SLURM_PROCID", "3"}}))
          .rank == 1);
}

TEST_CASE("launch environment: bad values name the variable", "[distributed]") {
  CHECK(error_of({{"WORLD_SIZE", "two"}, {"RANK", "0"}, {"MASTER_ADDR", "a"}}).find("WORLD_SIZE") != std::string::npos);
  CHECK(error_of({{"WORLD_SIZE", "2"}, {"RANK", "2"}, {"MASTER_ADDR", "a"}})
            .find("RANK must lie in [0, WORLD_SIZE = 2)") != std::string::npos);
  CHECK(error_of({{"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}}).find("RANK is not") != std::string::npos);
  CHECK(error_of({{"WORLD_SIZE", "2"}, {"RANK", "1"}}).find("MASTER_ADDR") != std::string::npos);
  CHECK(error_of({{"WORLD_SIZE", "2"}, {"RANK", "1"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "70000"}})
            .find("MASTER_PORT") != std::string::npos);
  CHECK(error_of({{"SLURM_NTASKS", "2"}, {"SLURM_PROCID", "x1"}, {"SLURM_JOB_NODELIST", "n1"}}).find("SLURM_PROCID") !=
        std::string::npos);
}

TEST_CASE("SLURM host lists: the first host", "[distributed]") {
  CHECK(first_slurm_host("node[01-04,07],gpu5") == "node01");
  CHECK(first_slurm_host("a,b") == "a");
  CHECK(first_slurm_host("gpu-[3,5]") == "gpu-3");
  CHECK(first_slurm_host("n[7]-ib") == "n7-ib");
  CHECK(first_slurm_host("single") == "single");
  for (const std::string bad : {"", "[1-2]", "node[", "node[a-b]", "node]1"}) {
    INFO(bad);
    CHECK_THROWS_AS(first_slurm_host(bad), UsageError);
  }
}

namespace {

/// Trains the toy run as 1 process and as 2 (launch_local.sh, Gloo) with
/// `flags`, and checks that every weight and EMA tensor agrees to `rtol`.
void check_two_processes_equal_one(const std::string& flags, double rtol) {
  test::TempDir dir;
  std::ofstream(dir.file("toy.yaml")) << kToyConfig;
  const std::string train = "hold-train --config " + dir.file("toy.yaml") + " --threads 1 " + flags + " --workdir ";
  const auto one = test::run_tool(train + dir.file("one"));
  INFO(one.out);
  REQUIRE(one.code == 0);
  const std::string launch =
      std::string("bash ") + HOLD_SOURCE_DIR + "/scripts/launch_local.sh 2 " + test::tool_path(train) + dir.file("two");
  const auto two = test::run_shell("MASTER_PORT=" + next_port() + " " + launch);
  INFO(two.out);
  REQUIRE(two.code == 0);
  CHECK(two.out.find("processes:  2 (torchrun, backend gloo, global batch 64 = 32 per process)") != std::string::npos);
  CHECK(two.out.find("replicas:   identical weights and EMA on all 2 processes") != std::string::npos);

  const LoadedCheckpoint a = load_checkpoint(dir.file("one/checkpoints/latest.pt"));
  const LoadedCheckpoint b = load_checkpoint(dir.file("two/checkpoints/latest.pt"));
  CHECK(b.step == 20);
  for (const auto& [mine, theirs] : {std::pair{&a.model, &b.model}, std::pair{&a.ema, &b.ema}}) {
    for (const auto& [name, value] : *mine) {
      INFO(name);
      const at::Tensor other = theirs->at(name);
      const double scale = value.abs().max().item<double>() + 1e-12;
      CHECK((value - other).abs().max().item<double>() / scale < rtol);
    }
  }
}

}  // namespace

TEST_CASE("hold-train: 2 processes equal 1 process on the same global batches", "[distributed][cli]") {
  check_two_processes_equal_one("", 1e-5);
}

TEST_CASE("CUDA: 2 processes over Gloo with CUDA tensors equal 1 process", "[.cuda]") {
  // Both ranks on GPU 0 (a one-GPU machine); collectives through Gloo's CUDA
  // path. cuBLAS rounds differently at batch 32 and 64: a looser tolerance.
  check_two_processes_equal_one("--device cuda:0 --set distributed.backend=gloo", 1e-4);
}

TEST_CASE("hold-train: a killed peer ends the other process with one line", "[distributed][cli]") {
  test::TempDir dir;
  const auto r = two_long_ranks(dir,
                                "t0=$(date +%s%N); kill -9 $p1; wait $p0; echo rank0_status=$?; "
                                "echo elapsed_ms=$((($(date +%s%N) - t0) / 1000000)); cat " +
                                    dir.file("rank0.log"));
  INFO(r.out);
  CHECK(r.out.find("rank0_status=0") == std::string::npos);
  CHECK(r.out.find("rank0_status=") != std::string::npos);
  const auto at = r.out.find("elapsed_ms=");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoll(r.out.substr(at + 11)) < (5 + 10) * 1000);  // from the kill: the 5 s timeout, slack
  // One error line, no stack trace.
  // "lost the other processes", or under heavy load "could not join" if the
  // peer died before the rendezvous ended.
  CHECK(r.out.find("error: rank 0 ") != std::string::npos);
  CHECK(r.out.find("frame #") == std::string::npos);
}

TEST_CASE("hold-train: SIGTERM to one rank stops every rank at the same step with a checkpoint", "[distributed][cli]") {
  test::TempDir dir;
  const auto r = two_long_ranks(
      dir, "kill -TERM $p1; wait $p0; echo rank0=$?; wait $p1; echo rank1=$?; cat " + dir.file("rank0.log"));
  INFO(r.out);
  CHECK(r.out.find("rank0=143") != std::string::npos);
  CHECK(r.out.find("rank1=143") != std::string::npos);
  const std::string said = "stopped by signal 15 at step ";
  const auto at = r.out.find(said);
  REQUIRE(at != std::string::npos);
  CHECK(load_checkpoint(dir.file("run/checkpoints/latest.pt")).step == std::stoll(r.out.substr(at + said.size())));
}

TEST_CASE("hold-train: an uneven global batch or a bad launch environment exits 2", "[distributed][cli]") {
  test::TempDir dir;
  std::string config = kToyConfig;
  config.replace(config.find("batch_size: 64"), 14, "batch_size: 63");
  std::ofstream(dir.file("odd.yaml")) << config;
  const auto odd = test::run_shell("WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 " + test::tool_path("hold-train") +
                                   " --config " + dir.file("odd.yaml") + " --workdir " + dir.file("run"));
  CHECK(odd.code == 2);
  CHECK(odd.out.find("train.batch_size") != std::string::npos);
  const auto rank = test::run_shell("WORLD_SIZE=2 RANK=7 MASTER_ADDR=127.0.0.1 " + test::tool_path("hold-train") +
                                    " --config " + dir.file("odd.yaml") + " --workdir " + dir.file("run"));
  CHECK(rank.code == 2);
  CHECK(rank.out.find("RANK") != std::string::npos);
}

}  // namespace hold
