// Command-line contracts (architecture.md): exit codes, one-line errors,
// --dry-run, --json, and the files each tool writes. Runs the built tools.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "hold/io/npz.h"
#include "support/run_tool.h"

namespace {

using Run = hold::test::ToolRun;
using hold::test::run_tool;

std::string config(const std::string& name) { return std::string(HOLD_SOURCE_DIR) + "/configs/" + name; }

std::string scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("hold_cli_" + name);
  std::filesystem::remove_all(dir);
  return dir.string();
}

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += (c == '\n');
  return n;
}

}  // namespace

TEST_CASE("hold-inspect reports eigenvalues -1, -2, -3 and Sigma_inf = I for the swiss-roll HOLD config", "[cli]") {
  const Run r = run_tool("hold-inspect --config " + config("toy_swissroll_hold.yaml") + " --json");
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  const auto& eig = j["eigenvalues"];
  REQUIRE(eig.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(eig[i]["re"].get<double>() == Approx(-(i + 1)).epsilon(1e-9));
    CHECK(std::abs(eig[i]["im"].get<double>()) < 1e-9);
    for (int k = 0; k < 3; ++k) CHECK(j["sigma_inf"][i][k].get<double>() == Approx(i == k ? 1.0 : 0.0).margin(1e-12));
  }
  CHECK(j["prior_mismatch"]["ok"].get<bool>());
}

TEST_CASE("A typo'd key is a one-line error naming the key, with exit code 2", "[cli]") {
  const Run r = run_tool("hold-inspect --config " + config("toy_swissroll_hold.yaml") + " --set sde.bta=3");
  CHECK(r.code == 2);
  CHECK(count_lines(r.out) == 1);
  CHECK(r.out.find("sde.bta") != std::string::npos);
  CHECK(r.out.find("sde.beta") != std::string::npos);
  const Run missing = run_tool("hold-train --config /nonexistent/x.yaml --dry-run");
  CHECK(missing.code == 2);
  CHECK(missing.out.find("/nonexistent/x.yaml") != std::string::npos);
}

TEST_CASE("hold-train --dry-run prints the parameter count and trains nothing", "[cli]") {
  const Run r = run_tool("hold-train --config " + config("toy_swissroll_hold.yaml") + " --dry-run");
  CHECK(r.code == 0);
  // 5 layers of 128 on [x, v, a] (6) plus a 64-wide embedding: the count is printed.
  CHECK(r.out.find("parameters") != std::string::npos);
}

TEST_CASE("hold-sample with the oracle needs no checkpoint and reports the NFE used", "[cli]") {
  const std::string out = scratch("oracle");
  const Run r = run_tool("hold-sample --config " + config("oracle_gmm2d_hold.yaml") +
                         " --sampler lt --nfe 40 --n 300 --metrics --out " + out);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("nfe: 40") != std::string::npos);
  const auto arrays = hold::read_npz(out + "/samples.npz");
  REQUIRE(arrays.count("x") == 1);
  CHECK(arrays.at("x").sizes() == at::IntArrayRef({300, 2}));
  CHECK(arrays.at("x").scalar_type() == at::kFloat);
  CHECK(std::filesystem::file_size(out + "/samples.png") > 1000);
  const auto metrics = nlohmann::json::parse(std::ifstream(out + "/metrics.json"));
  CHECK(metrics["energy_distance"].get<double>() < 0.02);  // exact score: near the data
}

TEST_CASE("A trained checkpoint resumes and samples; a model without --ckpt is refused", "[cli]") {
  const std::string work = scratch("train");
  const std::string base = "hold-train --config " + config("toy_swissroll_hold.yaml") +
                           " --set train.batch_size=64 --set train.ckpt_every=10 --threads 1 --workdir " + work;
  const Run first = run_tool(base + " --max-steps 20");
  REQUIRE(first.code == 0);
  const Run again = run_tool(base + " --max-steps 20");
  CHECK(again.code == 2);  // refusing to overwrite a run without --resume
  const Run resumed = run_tool(base + " --max-steps 30 --resume");
  REQUIRE(resumed.code == 0);
  CHECK(resumed.out.find("trained 30 steps") != std::string::npos);
  const std::string out = scratch("train_samples");
  const Run s = run_tool("hold-sample --config " + config("toy_swissroll_hold.yaml") + " --ckpt " + work +
                         "/checkpoints/latest.pt --sampler em --nfe 10 --n 50 --out " + out);
  REQUIRE(s.code == 0);
  CHECK(s.out.find("nfe: 10") != std::string::npos);
  const Run no_ckpt = run_tool("hold-sample --config " + config("toy_swissroll_hold.yaml") + " --out " + out);
  CHECK(no_ckpt.code == 2);
  CHECK(no_ckpt.out.find("--ckpt") != std::string::npos);
}

TEST_CASE("Every tool's --version names hold, the LibTorch built against and what is compiled in", "[cli]") {
  for (const char* tool : {"hold-train", "hold-sample", "hold-nll", "hold-fid", "hold-inspect"}) {
    const Run r = run_tool(std::string(tool) + " --version");
    INFO(tool << ": " << r.out);
    REQUIRE(r.code == 0);
    CHECK(r.out.rfind("hold ", 0) == 0);
    CHECK(r.out.find("LibTorch 2.") != std::string::npos);
    CHECK(r.out.find("(C++20") != std::string::npos);
    CHECK(r.out.find("CUDA: compiled in, runtime ") != std::string::npos);  // the wheel is a CUDA build
    CHECK(r.out.find("cuDNN: ") != std::string::npos);
    CHECK(r.out.find("NCCL: compiled in, ") != std::string::npos);
    CHECK(r.out.find("BLAS: ") != std::string::npos);
    CHECK(r.out.find("OpenMP: ") != std::string::npos);
    CHECK(r.out.find("GPU: ") != std::string::npos);
  }
}

TEST_CASE("A bf16 training step on the CPU prints no warning", "[cli]") {
  const std::string dir = scratch("bf16_quiet");
  const Run r = run_tool("hold-train --config " + config("toy_gmm1d_hold.yaml") + " --workdir " + dir +
                         " --max-steps 3 --threads 1 --set train.precision=bf16 2>&1");
  INFO(r.out);
  REQUIRE(r.code == 0);
  for (const char* word : {"warn", "Warn", "deprecat"}) CHECK(r.out.find(word) == std::string::npos);
  std::filesystem::remove_all(dir);
}
