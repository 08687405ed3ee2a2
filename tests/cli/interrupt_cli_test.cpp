// hold-train under interruption (issue 6): SIGINT / SIGTERM write a checkpoint
// and exit 128 + signal; kill -9 at random moments, resumed each time, ends
// with exactly the weights of an uninterrupted run; an unwritable work
// directory is a one-line error naming it.
#include <ATen/ATen.h>

#include <fstream>
#include <random>
#include <string>

#include "hold/train/checkpoint.h"
#include "support/run_tool.h"
#include "support/temp_dir.h"

#include <catch2/catch.hpp>

using namespace hold;

namespace {

const char* kLongToyRun =
    "seed: 2\nthreads: 1\nsde: {name: hold}\ndata: {name: gmm1d}\nmodel: {name: mlp, hidden: 32, layers: 3}\n"
    "train: {steps: 3000, batch_size: 64, lr: 1.0e-3, log_every: 50, ckpt_every: 50}\n";

void check_same_weights(const std::string& a_path, const std::string& b_path) {
  const LoadedCheckpoint a = load_checkpoint(a_path), b = load_checkpoint(b_path);
  CHECK(a.step == b.step);
  for (const auto& [name, value] : a.model) CHECK(at::equal(value, b.model.at(name)));
  for (const auto& [name, value] : a.ema) CHECK(at::equal(value, b.ema.at(name)));
}

}  // namespace

TEST_CASE("hold-train: SIGINT and SIGTERM checkpoint, exit 128 + signal, and resume exactly", "[cli][reliability]") {
  test::TempDir dir;
  std::ofstream(dir.file("run.yaml")) << kLongToyRun;
  const std::string train = test::tool_path("hold-train") + " --config " + dir.file("run.yaml") + " --workdir ";
  for (const auto& [name, number] : {std::pair{"INT", 2}, std::pair{"TERM", 15}}) {
    const std::string work = dir.file(std::string("run_") + name);
    // Signal once training is under way (the first metrics record exists).
    const auto r = test::run_shell(train + work + " > " + work + ".log 2>&1 & p=$!; while [ ! -s " + work +
                                   "/metrics.jsonl ] && kill -0 $p 2>/dev/null; do sleep 0.05; done; kill -" + name +
                                   " $p; wait $p; " + "echo status=$?; cat " + work + ".log");
    INFO(r.out);
    CHECK(r.out.find("status=" + std::to_string(128 + number)) != std::string::npos);
    const std::string said = "stopped by signal " + std::to_string(number) + " at step ";
    const auto at = r.out.find(said);
    REQUIRE(at != std::string::npos);
    const int64_t step = std::stoll(r.out.substr(at + said.size()));
    CHECK(step > 0);
    CHECK(step < 3000);
    CHECK(load_checkpoint(work + "/checkpoints/latest.pt").step == step);
  }
  // Resuming with a config that changes the model is refused, naming the key.
  const auto changed = test::run_shell(train + dir.file("run_INT") + " --resume --set sde.beta=5");
  CHECK(changed.code == 2);
  CHECK(changed.out.find("has sde.beta: 5") != std::string::npos);
  // Continuing the SIGINT run to the end equals an uninterrupted run.
  REQUIRE(test::run_shell(train + dir.file("run_INT") + " --resume").code == 0);
  REQUIRE(test::run_shell(train + dir.file("straight")).code == 0);
  check_same_weights(dir.file("run_INT/checkpoints/latest.pt"), dir.file("straight/checkpoints/latest.pt"));
}

TEST_CASE("hold-train: kill -9 at random moments, resumed each time, equals an uninterrupted run",
          "[cli][reliability]") {
  test::TempDir dir;
  std::ofstream(dir.file("run.yaml")) << kLongToyRun;
  const std::string train = test::tool_path("hold-train") + " --config " + dir.file("run.yaml") + " --workdir ";
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> delay_ms(300, 900);
  int killed = 0;
  for (int round = 0; round < 4; ++round) {
    const auto r = test::run_shell(train + dir.file("killed") + " --resume > /dev/null 2>&1 & p=$!; sleep " +
                                   std::to_string(delay_ms(rng) / 1000.0) + "; kill -9 $p; wait $p; echo status=$?");
    killed += r.out.find("status=137") != std::string::npos;
  }
  CHECK(killed >= 3);  // the run really died mid-way (not finished already)
  const auto finish = test::run_shell(train + dir.file("killed") + " --resume");
  INFO(finish.out);
  REQUIRE(finish.code == 0);
  CHECK(finish.out.find("trained 3000 steps") != std::string::npos);
  REQUIRE(test::run_shell(train + dir.file("straight")).code == 0);
  check_same_weights(dir.file("killed/checkpoints/latest.pt"), dir.file("straight/checkpoints/latest.pt"));
}

TEST_CASE("hold-train: an unwritable work directory is a one-line error naming it", "[cli][reliability]") {
  test::TempDir dir;
  std::ofstream(dir.file("run.yaml")) << kLongToyRun;
  std::ofstream(dir.file("a_file")) << "not a directory\n";
  const auto r = test::run_tool("hold-train --config " + dir.file("run.yaml") + " --workdir " + dir.file("a_file/run"));
  INFO(r.out);
  CHECK(r.code == 2);
  CHECK(r.out.find(dir.file("a_file/run")) != std::string::npos);
  CHECK(r.out.find("error: ") != std::string::npos);
}
