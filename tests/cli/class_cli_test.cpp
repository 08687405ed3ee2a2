// Class-conditional sampling from the command line (issue 14 items 3–4):
// hold-train's `classifier` objective learns the five-mode mixture's
// components from the state u_t, and hold-sample --class guides the oracle
// with it; a class-conditional MLP samples a class with classifier-free
// guidance; every bad combination of the class flags exits 2 naming the flag.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "hold/io/config.h"
#include "hold/models/eps_network.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/objectives/objective.h"
#include "hold/sde/presets.h"
#include "hold/train/checkpoint.h"
#include "hold/train/run_components.h"
#include "support/cli_errors.h"
#include "support/run_tool.h"
#include "support/temp_dir.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

using namespace hold;

namespace {

std::string config(const std::string& name) { return std::string(HOLD_SOURCE_DIR) + "/configs/" + name; }

/// Trains the classifier config for `steps` steps on one thread; the checkpoint's path.
std::string train_classifier(const test::TempDir& dir, int steps, const std::string& extra = "") {
  const test::ToolRun r =
      test::run_tool("hold-train --config " + config("toy_gmm2d_hold_classifier.yaml") + " --max-steps " +
                     std::to_string(steps) + " --threads 1" + extra + " --workdir " + dir.file("run"));
  INFO(r.out);
  REQUIRE(r.code == 0);
  return dir.file("run/checkpoints/latest.pt");
}

/// Accuracy of the checkpoint's classifier (EMA weights) and of the oracle's
/// exact one on 4000 fresh states at time t, labels = components.
std::pair<double, double> accuracy_at(const std::string& ckpt_path, double time) {
  const LoadedCheckpoint ckpt = load_checkpoint(ckpt_path);
  const auto net = make_network(ckpt.config);
  load_weights(*net, ckpt);
  net->eval();
  const LinearSde sde = make_sde(ckpt.config.sde);
  const Objective objective(sde, ckpt.config.objective);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(123);
  const GaussianMixture::Labelled data = ckpt.config.data.mixture.sample_labelled(4000, gen);
  const at::Tensor t = at::full({4000}, time, at::kDouble);
  const PerturbedBatch batch = objective.perturb_at(data.x, t, gen);
  at::NoGradGuard no_grad;
  const at::Tensor logits = net->forward(batch.u_t, t.to(at::kFloat));
  const double trained = logits.argmax(1).eq(data.component).to(at::kDouble).mean().item<double>();
  const GaussianMixtureOracle oracle(sde, ckpt.config.data.mixture);
  const at::Tensor bayes = oracle.log_responsibilities(batch.u_t, t).argmax(1);
  return {trained, bayes.eq(data.component).to(at::kDouble).mean().item<double>()};
}

}  // namespace

TEST_CASE("hold-train's classifier objective learns the components; hold-sample --class guides with it",
          "[cli][classes]") {
  test::TempDir dir;
  const std::string ckpt = train_classifier(dir, 600);
  const auto [trained, bayes] = accuracy_at(ckpt, 0.1);
  std::printf("classifier accuracy at t = 0.1: %.4f (the exact classifier's: %.4f)\n", trained, bayes);
  CHECK(trained > 0.90);

  const test::ToolRun r =
      test::run_tool("hold-sample --config " + config("oracle_gmm2d_hold.yaml") + " --class 1 --classifier " + ckpt +
                     " --sampler lt --nfe 150 --n 1000 --metrics --threads 1 --out " + dir.file("class1"));
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto metrics = nlohmann::json::parse(std::ifstream(dir.file("class1/metrics.json")));
  const double fraction = metrics["class_fraction"].get<double>();
  std::printf("hold-sample --class 1 with it: %.4f in the component, std error %+.2f %%\n", fraction,
              100 * metrics["class_std_error"].get<double>());
  CHECK(metrics["class"].get<int64_t>() == 1);
  CHECK(fraction >= 0.95);

  // The oracle's own classes: the exact class score and the exact classifier.
  for (const std::string route : {"", " --classifier oracle --guidance-scale 1"}) {
    CAPTURE(route);
    const test::ToolRun o = test::run_tool("hold-sample --config " + config("oracle_gmm2d_hold.yaml") + " --class 3" +
                                           route + " --sampler em --nfe 150 --n 1000 --metrics --out " +
                                           dir.file("oracle" + std::to_string(route.size())));
    INFO(o.out);
    REQUIRE(o.code == 0);
    const auto m =
        nlohmann::json::parse(std::ifstream(dir.file("oracle" + std::to_string(route.size()) + "/metrics.json")));
    CHECK(m["class_fraction"].get<double>() >= 0.99);
    CHECK(std::abs(m["class_std_error"].get<double>()) <= 0.10);
  }
}

TEST_CASE("hold-sample's class flags: bad combinations exit 2 naming the flag", "[cli][classes][reliability]") {
  test::TempDir dir;
  const std::string classifier = train_classifier(dir, 2);
  // A score model of the same data: the classifier's config with the bcsm objective.
  const std::string score_cfg = config("toy_gmm2d_hold_classifier.yaml") + " --set objective.name=bcsm";
  const test::ToolRun s =
      test::run_tool("hold-train --config " + score_cfg + " --max-steps 2 --threads 1 --workdir " + dir.file("score"));
  INFO(s.out);
  REQUIRE(s.code == 0);
  const std::string score = dir.file("score/checkpoints/latest.pt");
  const std::string oracle = " --config " + config("oracle_gmm2d_hold.yaml");
  const std::vector<std::pair<std::string, std::string>> cases{
      {oracle + " --class 5", "--class"},  // five components: 0 … 4
      {oracle + " --class -2", "--class"},
      {oracle + " --class 7 --classifier " + classifier, "--class"},
      {oracle + " --guidance-scale 2", "--guidance-scale"},  // no --class
      {oracle + " --classifier oracle", "--classifier"},
      {oracle + " --class 1 --guidance-scale 2", "--guidance-scale"},  // no classifier
      {oracle + " --class 1 --classifier oracle --guidance-scale -1", "--guidance-scale"},
      {oracle + " --class 1 --classifier " + dir.file("missing.pt"), "--classifier"},
      {oracle + " --class 1 --classifier " + score, "--classifier"},  // a score model, not a classifier
      {" --config " + config("oracle_gmm2d_vp.yaml") + " --class 1 --classifier " + classifier,
       "--classifier"},                                                           // trained on another SDE
      {" --config " + score_cfg + " --ckpt " + classifier, "--ckpt"},             // a classifier as the score model
      {" --config " + score_cfg + " --ckpt " + score + " --class 1", "--class"},  // an MLP has no classes
      {" --config " + score_cfg + " --ckpt " + score + " --class 1 --cfg-scale 1", "--cfg-scale"},
      {" --config " + config("toy_gmm2d_hold_classifier.yaml") + " --ckpt " + classifier, "objective.name"},
  };
  for (const auto& [args, flag] : cases) {
    INFO(args);
    test::check_one_line_error(test::run_tool("hold-sample" + args + " --n 4 --nfe 10 --out " + dir.file("bad")), flag);
  }
}

TEST_CASE("hold-sample --cfg-scale: a class-conditional MLP trained with label dropout samples the class",
          "[cli][classes]") {
  test::TempDir dir;
  const test::ToolRun r = test::run_tool("hold-train --config " + config("toy_gmm2d_vp_cfg.yaml") +
                                         " --max-steps 1500 --threads 1 --workdir " + dir.file("run"));
  INFO(r.out);
  REQUIRE(r.code == 0);
  const std::string ckpt = dir.file("run/checkpoints/latest.pt");
  for (const std::string w : {"0", "1", "3"}) {
    CAPTURE(w);
    const std::string out = dir.file("w" + w);
    const test::ToolRun s = test::run_tool("hold-sample --config " + config("toy_gmm2d_vp_cfg.yaml") + " --ckpt " +
                                           ckpt + " --class 1 --cfg-scale " + w +
                                           " --sampler em --nfe 150 --n 1000 --metrics --threads 1 --out " + out);
    INFO(s.out);
    REQUIRE(s.code == 0);
    const auto m = nlohmann::json::parse(std::ifstream(out + "/metrics.json"));
    const double fraction = m["class_fraction"].get<double>();
    std::printf("cfg w = %s: %.4f in the component, std error %+.2f %%\n", w.c_str(), fraction,
                100 * m["class_std_error"].get<double>());
    if (w != "0") CHECK(fraction >= 0.90);
  }
  // The oracle takes --cfg-scale too (its class score as the conditional model).
  const test::ToolRun o =
      test::run_tool("hold-sample --config " + config("oracle_gmm2d_hold.yaml") +
                     " --class 3 --cfg-scale 1 --sampler em --nfe 150 --n 1000 --metrics --out " + dir.file("oracle"));
  INFO(o.out);
  REQUIRE(o.code == 0);
  CHECK(nlohmann::json::parse(std::ifstream(dir.file("oracle/metrics.json")))["class_fraction"].get<double>() >= 0.99);
  // Bad combinations.
  const std::string cfg = " --config " + config("toy_gmm2d_vp_cfg.yaml") + " --ckpt " + ckpt;
  const std::vector<std::pair<std::string, std::string>> cases{
      {cfg + " --cfg-scale 1", "--cfg-scale"},  // no --class
      {cfg + " --class 5", "--class"},          // classes 0 … 4
      {cfg + " --class 1 --cfg-scale -1", "--cfg-scale"},
      {cfg + " --class 1 --cfg-scale 1 --classifier oracle", "--cfg-scale"},  // two guidances
      {cfg + " --class 1 --guidance-scale 2", "--guidance-scale"},            // no classifier
  };
  for (const auto& [args, flag] : cases) {
    INFO(args);
    test::check_one_line_error(test::run_tool("hold-sample" + args + " --n 4 --nfe 10 --out " + dir.file("bad")), flag);
  }
}

TEST_CASE("A class-conditional NCSN++ on Fashion-MNIST trains on the images' labels and samples a class",
          "[cli][classes][images]") {
  test::TempDir dir;
  // The demo config, shrunk to a few seconds: a narrow network, two steps.
  const std::string small =
      " --config " + config("fmnist_hold_cfg.yaml") + " --set model.channels=8 --set train.batch_size=4 --threads 1";
  const test::ToolRun r = test::run_tool("hold-train" + small + " --max-steps 2 --workdir " + dir.file("run"));
  INFO(r.out);
  REQUIRE(r.code == 0);
  const std::string ckpt = " --ckpt " + dir.file("run/checkpoints/latest.pt");
  const test::ToolRun s =
      test::run_tool("hold-sample" + small + ckpt + " --class 7 --cfg-scale 2 --nfe 4 --n 2 --out " + dir.file("s"));
  INFO(s.out);
  CHECK(s.code == 0);
  test::check_one_line_error(
      test::run_tool("hold-sample" + small + ckpt + " --class 10 --nfe 4 --n 2 --out " + dir.file("bad")), "--class");
  // The unconditional demo config refuses the class-conditional checkpoint (the model differs).
  test::check_one_line_error(
      test::run_tool("hold-sample --config " + config("fmnist_hold.yaml") + " --set model.channels=8 --threads 1" +
                     ckpt + " --nfe 4 --n 2 --out " + dir.file("bad2")),
      "model.num_classes");
}
