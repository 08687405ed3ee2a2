// hold-nll end to end: the oracle of one Gaussian through the command line
// (the bound equals the Gaussian's log-density on average, math.md §8 item 4),
// a tiny trained image model (bits/dim, deterministic per seed), and the
// usage errors.
#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "hold/io/npz.h"
#include "hold/likelihood/likelihood.h"
#include "support/run_tool.h"
#include "support/temp_dir.h"
#include "support/tiny_image_run.h"

#include <catch2/catch.hpp>

using namespace hold;

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

const char* kGaussianConfig =
    "seed: 3\nthreads: 1\nsde: {name: hold}\n"
    "data: {name: gmm, weights: [1.0], means: [[0.3, -0.2, 0.1, 0.5]], stds: [[0.5, 0.8, 0.3, 1.0]]}\n"
    "model: {name: oracle}\nlikelihood: {dtype: float64, batch: 100}\n";

}  // namespace

TEST_CASE("hold-nll with the oracle: nats/dim of one Gaussian, per point and summarised", "[cli][likelihood]") {
  test::TempDir dir;
  std::ofstream(dir.file("g.yaml")) << kGaussianConfig;
  const auto r = test::run_tool("hold-nll --config " + dir.file("g.yaml") + " --exact-trace --n 300 --json " +
                                dir.file("nll.json") + " --per-point " + dir.file("pp.npz"));
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("nats/dim: ") != std::string::npos);

  const auto pp = read_npz(dir.file("pp.npz"));
  const at::Tensor x = pp.at("x").to(at::kDouble), nll = pp.at("nll"), ll = pp.at("log_likelihood");
  REQUIRE(x.sizes() == at::IntArrayRef({300, 4}));
  // The exact negative log-density per dimension of each point.
  const auto mean = at::tensor({0.3, -0.2, 0.1, 0.5}, at::kDouble), std = at::tensor({0.5, 0.8, 0.3, 1.0}, at::kDouble);
  const at::Tensor exact = (0.5 * ((x - mean) / std).pow(2) + std.log() + 0.5 * std::log(2 * M_PI)).sum(1) / 4.0;
  CHECK(std::abs((nll - exact).mean().item<double>()) < 1e-3);
  CHECK(at::allclose(nll, -ll / 4.0, 0, 1e-12));
  CHECK(pp.at("nfe").min().item<int64_t>() > 10);

  const auto j = read_json(dir.file("nll.json"));
  CHECK(j["unit"] == "nats/dim");
  CHECK(j["n"] == 300);
  CHECK(j["trace"] == "exact");
  const MeanWithError summary = mean_with_error(nll);
  CHECK(j["mean"].get<double>() == Approx(summary.mean).epsilon(1e-12));
  CHECK(j["standard_error"].get<double>() == Approx(summary.standard_error).epsilon(1e-12));
}

TEST_CASE("hold-nll on images: bits/dim per image, deterministic per seed", "[cli][likelihood][images]") {
  test::TempDir dir;
  const test::TinyImageRun run = test::train_tiny_image_model(dir.path());
  INFO(run.training.out);
  REQUIRE(run.training.code == 0);
  const std::string base =
      "hold-nll " + run.config + " --ckpt " + run.ckpt + " --split train --n 6 --batch 4 --probes 2";
  const auto a = test::run_tool(base + " --json " + dir.file("a.json") + " --per-point " + dir.file("a.npz"));
  INFO(a.out);
  REQUIRE(a.code == 0);
  CHECK(a.out.find("bits/dim: ") != std::string::npos);
  const auto b = test::run_tool(base + " --per-point " + dir.file("b.npz"));
  REQUIRE(b.code == 0);

  const auto pa = read_npz(dir.file("a.npz")), pb = read_npz(dir.file("b.npz"));
  const at::Tensor bpd = pa.at("nll");
  REQUIRE(bpd.numel() == 6);
  CHECK(at::isfinite(bpd).all().item<bool>());
  CHECK(at::equal(bpd, pb.at("nll")));  // same seed, same machine: same numbers
  CHECK(at::equal(pa.at("index"), at::arange(6, at::kLong)));
  // bits/dim = −ll / (64 ln 2) + 7 for the 64 pixels of an 8×8 image.
  CHECK(at::allclose(bpd, -pa.at("log_likelihood") / (64 * std::log(2.0)) + 7, 0, 1e-12));
  // Two batches (4 + 2) each report their own NFE.
  const at::Tensor nfe = pa.at("nfe");
  CHECK(at::equal(nfe.slice(0, 0, 4), nfe[0].expand({4})));
  const auto j = read_json(dir.file("a.json"));
  CHECK(j["unit"] == "bits/dim");
  CHECK(j["n"] == 6);
  CHECK(j["probes"] == 2);
  CHECK(j["split"] == "train");

  // Two processes (rank r takes batches k ≡ r mod 2, rank 0 merges): the
  // same numbers as one process.
  const auto two =
      test::run_shell("MASTER_PORT=" + std::to_string(43000 + ::getpid() % 1000) + " bash " + HOLD_SOURCE_DIR +
                      "/scripts/launch_local.sh 2 " + test::tool_path(base) + " --per-point " + dir.file("two.npz"));
  INFO(two.out);
  REQUIRE(two.code == 0);
  CHECK(at::equal(read_npz(dir.file("two.npz")).at("nll"), bpd));
  // Resume: a finished batch found in the parts folder is not evaluated again
  // (here a marked stand-in for batch 0), the rest is, and the folder goes.
  std::filesystem::create_directories(dir.file("c.npz.parts"));
  write_npz(dir.file("c.npz.parts/part_0.npz"), {{"nll", at::full({4}, 123.0, at::kDouble)},
                                                 {"log_likelihood", at::full({4}, -1.0, at::kDouble)},
                                                 {"nfe", at::full({4}, 7, at::kLong)}});
  REQUIRE(test::run_tool(base + " --per-point " + dir.file("c.npz")).code == 0);
  const at::Tensor resumed = read_npz(dir.file("c.npz")).at("nll");
  CHECK(at::equal(resumed.slice(0, 0, 4), at::full({4}, 123.0, at::kDouble)));
  CHECK(at::equal(resumed.slice(0, 4, 6), bpd.slice(0, 4, 6)));
  CHECK_FALSE(std::filesystem::exists(dir.file("c.npz.parts")));

  // A config that does not describe the checkpoint's network: the key is named.
  const auto other = test::run_tool(base + " --set sde.beta=7");
  CHECK(other.code == 2);
  CHECK(other.out.find("has sde.beta: 7") != std::string::npos);
}

TEST_CASE("hold-nll --grid: the oracle's ODE density on a grid equals the data's", "[cli][likelihood]") {
  // 1-D (ve) and 2-D (vp) single Gaussians: the ODE log-density of the exact
  // score is the Gaussian's own at every grid point, to the solver tolerance
  // and the prior's mismatch (ve's N(0, σ_max²) against N(0, σ_max² + s²):
  // 6e-4 nats at the grid's ends for σ_max = 50, s = 0.4).
  const std::string dims = GENERATE(std::string("1"), std::string("2"));
  test::TempDir dir;
  const bool one = dims == "1";
  std::ofstream(dir.file("g.yaml")) << (one ? "seed: 1\nthreads: 1\nsde: {name: ve}\nsample: {method: em}\n"
                                              "data: {name: gmm, weights: [1.0], means: [0.0], stds: [0.4]}\n"
                                            : "seed: 1\nthreads: 1\nsde: {name: vp}\n"
                                              "data: {name: gmm, weights: [1.0], means: [[0.2, -0.1]], "
                                              "stds: [[0.4, 0.3]]}\n")
                                    << "model: {name: oracle}\nlikelihood: {dtype: float64, batch: 100}\n";
  const auto r = test::run_tool("hold-nll --config " + dir.file("g.yaml") + " --exact-trace --grid " +
                                (one ? "30" : "8") + " --out " + dir.file("grid"));
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(std::filesystem::file_size(dir.file("grid/density.png")) > 1000);
  const auto g = read_npz(dir.file("grid/grid.npz"));
  const at::Tensor model = g.at("log_density"), truth = g.at("true_log_density");
  CHECK(model.sizes() == (one ? at::IntArrayRef({30}) : at::IntArrayRef({8, 8})));
  CHECK(truth.sizes() == model.sizes());
  CHECK((model - truth).abs().max().item<double>() < 2e-2);
  // Rows run along y: row 0 is the lowest y, and x varies along a row.
  if (!one) CHECK(g.at("x")[1][0].item<double>() > g.at("x")[0][0].item<double>());
}

TEST_CASE("hold-nll rejects bad input with exit 2 naming the key or path", "[cli][likelihood]") {
  test::TempDir dir;
  std::ofstream(dir.file("g.yaml")) << kGaussianConfig;
  const std::string config = " --config " + dir.file("g.yaml");
  const auto probes = test::run_tool("hold-nll" + config + " --set likelihood.probes=0");
  CHECK(probes.code == 2);
  CHECK(probes.out.find("likelihood.probes") != std::string::npos);
  const auto trace = test::run_tool("hold-nll" + config + " --set likelihood.trace=hutchinsn");
  CHECK(trace.code == 2);
  CHECK(trace.out.find("likelihood.trace") != std::string::npos);
  const auto probe = test::run_tool("hold-nll" + config + " --probe uniform");
  CHECK(probe.code == 2);
  CHECK(probe.out.find("--probe") != std::string::npos);

  const auto no_output =
      test::run_shell("WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 " + test::tool_path("hold-nll") + config);
  CHECK(no_output.code == 2);
  CHECK(no_output.out.find("--per-point") != std::string::npos);

  // An image split smaller than --n, and a missing data folder.
  test::write_mnist_folder(dir.file("data"), 5, 8);
  std::ofstream(dir.file("img.yaml")) << "sde: {name: vp}\ndata: {name: mnist, path: " << dir.file("data")
                                      << "}\nmodel: {name: ncsnpp, channels: 8, ch_mult: [1, 2], num_res_blocks: 1,"
                                      << " attn_resolutions: []}\n";
  const auto missing_ckpt = test::run_tool("hold-nll --config " + dir.file("img.yaml") + " --split train");
  CHECK(missing_ckpt.code == 2);
  CHECK(missing_ckpt.out.find("--ckpt") != std::string::npos);
  const auto too_many = test::run_tool("hold-nll --config " + dir.file("img.yaml") + " --split train --n 50");
  CHECK(too_many.code == 2);
  CHECK(too_many.out.find("likelihood.n") != std::string::npos);
  const auto no_test_split = test::run_tool("hold-nll --config " + dir.file("img.yaml"));
  CHECK(no_test_split.code == 2);
  CHECK(no_test_split.out.find(dir.file("data")) != std::string::npos);
}
