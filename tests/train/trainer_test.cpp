// The training loop: resume reproduces an uninterrupted run, checkpoints hold
// what they promise, bad checkpoints are usage errors naming the file.
#include "hold/train/trainer.h"
#include "support/usage_error.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/module.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hold/core/error.h"
#include "hold/data/data_source.h"
#include "hold/io/config.h"
#include "hold/io/jsonl.h"
#include "hold/models/ema.h"
#include "hold/models/eps_network.h"
#include "hold/train/checkpoint.h"
#include "hold/train/run_components.h"
#include "support/temp_dir.h"

using namespace hold;
namespace fs = std::filesystem;

namespace {

RunConfig tiny_config() {
  return parse_config(R"(
seed: 3
sde: {name: hold}
data: {name: gmm1d}
model: {name: mlp, hidden: 16, layers: 3, embedding_dim: 8}
objective: {name: bcsm}
train: {steps: 20, batch_size: 32, lr: 1.0e-3, warmup: 5, grad_clip: 1.0, ema: 0.9,
        log_every: 5, ckpt_every: 5, keep_checkpoints: 2}
)",
                      "trainer_test");
}

struct RunRecord {
  std::vector<double> losses;
  std::vector<at::Tensor> params;
  std::vector<at::Tensor> ema;
};

/// Trains to max_steps in workdir (resuming if asked) and appends what it saw.
void train_into(RunRecord& record, const std::string& workdir, bool resume, int64_t max_steps) {
  TrainOptions options;
  options.workdir = workdir;
  options.resume = resume;
  options.max_steps = max_steps;
  Trainer trainer(tiny_config(), options);
  trainer.run([&](const TrainProgress& p) { record.losses.push_back(p.loss); });
  record.params.clear();
  for (const auto& p : trainer.network().parameters()) record.params.push_back(p.detach().clone());
  record.ema = trainer.ema().shadow();
}

using test::message_of;

}  // namespace

TEST_CASE("A resumed run reproduces the uninterrupted one exactly", "[train]") {
  test::TempDir dir;
  RunRecord straight, split;
  train_into(straight, dir.file("straight"), /*resume=*/false, /*max_steps=*/-1);
  train_into(split, dir.file("split"), /*resume=*/false, /*max_steps=*/10);
  train_into(split, dir.file("split"), /*resume=*/true, /*max_steps=*/-1);

  REQUIRE(straight.losses.size() == 20);
  REQUIRE(split.losses.size() == 20);
  for (size_t i = 0; i < 20; ++i) {
    INFO("step " << i + 1);
    CHECK(split.losses[i] == straight.losses[i]);
  }
  for (size_t i = 0; i < straight.params.size(); ++i) {
    CHECK(at::equal(split.params[i], straight.params[i]));
    CHECK(at::equal(split.ema[i], straight.ema[i]));
  }
  // The metrics files agree record by record (the timing aside).
  const auto a = read_jsonl(dir.file("straight") + "/metrics.jsonl");
  const auto b = read_jsonl(dir.file("split") + "/metrics.jsonl");
  REQUIRE(a.size() == 4);
  REQUIRE(b.size() == 4);
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i]["step"] == b[i]["step"]);
    CHECK(a[i]["loss"].get<double>() == b[i]["loss"].get<double>());
    CHECK(a[i]["grad_norm"].get<double>() == b[i]["grad_norm"].get<double>());
    CHECK(a[i]["lr"].get<double>() == b[i]["lr"].get<double>());
    CHECK(a[i].contains("it_per_s"));
  }
  // Warmup: lr = 1e-3 · min(1, step/5).
  CHECK(a[0]["lr"].get<double>() == Approx(1e-3));
  CHECK(straight.losses.front() > 0);
}

TEST_CASE("Checkpoints hold config, step, weights and EMA, and the last k are kept", "[train]") {
  test::TempDir dir;
  TrainOptions options;
  options.workdir = dir.path();
  Trainer trainer(tiny_config(), options);
  const TrainResult result = trainer.run();
  CHECK(result.step == 20);
  CHECK(result.checkpoint == dir.path() + "/checkpoints/ckpt_20.pt");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir.path() + "/checkpoints")) files.push_back(e.path().filename());
  std::sort(files.begin(), files.end());
  CHECK(files == std::vector<std::string>{"ckpt_15.pt", "ckpt_20.pt", "latest.pt"});
  CHECK(fs::exists(dir.file("config.yaml")));

  const LoadedCheckpoint ckpt = load_checkpoint(dir.path() + "/checkpoints/latest.pt");
  CHECK(ckpt.step == 20);
  CHECK(to_yaml(ckpt.config) == to_yaml(tiny_config()));
  const auto params = trainer.network().named_parameters();
  CHECK(ckpt.ema.size() == params.size());
  CHECK(ckpt.model.size() == params.size() + trainer.network().named_buffers().size());
  for (const auto& p : params) {
    INFO(p.key());
    REQUIRE(ckpt.model.count(p.key()) == 1);
    CHECK(at::equal(ckpt.model.at(p.key()), p.value()));
  }
  for (size_t i = 0; i < trainer.ema().names().size(); ++i) {
    CHECK(at::equal(ckpt.ema.at(trainer.ema().names()[i]), trainer.ema().shadow()[i]));
  }

  // The EMA weights load into a fresh network built from the stored config.
  auto net = make_network(ckpt.config, 1);
  load_weights(*net, ckpt);
  const auto loaded = net->named_parameters();
  for (size_t i = 0; i < trainer.ema().names().size(); ++i) {
    CHECK(at::equal(loaded[trainer.ema().names()[i]], trainer.ema().shadow()[i]));
  }
  load_weights(*net, ckpt, WeightSet::kRaw);
  for (const auto& p : params) CHECK(at::equal(net->named_parameters()[p.key()], p.value()));
  // The same checkpoint from the periodic file.
  CHECK(load_checkpoint(dir.path() + "/checkpoints/ckpt_20.pt").step == 20);
}

TEST_CASE("Missing, corrupt or foreign checkpoints are usage errors naming the file", "[train]") {
  test::TempDir dir;
  TrainOptions options;
  options.workdir = dir.path();
  options.max_steps = 2;
  train(tiny_config(), options);
  const std::string good = dir.path() + "/checkpoints/latest.pt";

  const std::string missing = dir.file("nope.pt");
  CHECK_THAT(message_of([&] { load_checkpoint(missing); }), Catch::Contains(missing));

  std::ifstream in(good, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string truncated = dir.file("truncated.pt");
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  CHECK_THAT(message_of([&] { load_checkpoint(truncated); }), Catch::Contains(truncated));

  const std::string text = dir.file("text.pt");
  std::ofstream(text) << "not a checkpoint\n";
  CHECK_THAT(message_of([&] { load_checkpoint(text); }), Catch::Contains(text));

  // A network of another architecture does not take the weights.
  RunConfig wider = tiny_config();
  wider.model.hidden = 32;
  auto net = make_network(wider, 1);
  CHECK_THAT(message_of([&] { load_weights(*net, load_checkpoint(good)); }), Catch::Contains("shape"));

  // A fresh run may not overwrite a work directory that holds one.
  CHECK_THAT(message_of([&] { Trainer(tiny_config(), options); }), Catch::Contains("--resume"));
}

TEST_CASE("A diverging run stops with a numerical error naming the steps", "[train]") {
  test::TempDir dir;
  RunConfig config = tiny_config();
  config.train.lr = 1e30;  // Adam's steps are ~lr whatever the gradient: the weights overflow
  config.train.warmup = 0;
  config.train.max_nonfinite = 3;
  TrainOptions options;
  options.workdir = dir.path();
  Trainer trainer(config, options);
  try {
    trainer.run();
    FAIL("no error");
  } catch (const NumericalError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("diverged: 3 steps in a row") && Catch::Contains("(steps ") &&
                                          Catch::Contains("train.lr"));
  }
  CHECK(trainer.step() < 20);
  // No checkpoint with non-finite weights was written.
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/checkpoints/latest.pt"));
}

TEST_CASE("An isolated non-finite step is skipped, logged, and leaves the weights alone", "[train]") {
  test::TempDir a_dir, b_dir;
  RunConfig config = tiny_config();  // 20 steps
  TrainOptions clean;
  clean.workdir = a_dir.path();
  clean.max_steps = 4;
  Trainer reference(config, clean);
  reference.run();
  TrainOptions poisoned = clean;
  poisoned.workdir = b_dir.path();
  poisoned.max_steps = 5;
  poisoned.poison_steps = {5};
  Trainer trainer(config, poisoned);
  std::vector<bool> skipped;
  const TrainResult r = trainer.run([&](const TrainProgress& p) { skipped.push_back(p.skipped); });
  CHECK(r.step == 5);
  CHECK(skipped == std::vector<bool>{false, false, false, false, true});
  // Step 5 made no update: the weights and EMA are those after step 4.
  for (const auto& p : reference.network().named_parameters()) {
    CHECK(at::equal(p.value(), trainer.network().named_parameters()[p.key()]));
  }
  for (size_t i = 0; i < reference.ema().shadow().size(); ++i) {
    CHECK(at::equal(reference.ema().shadow()[i], trainer.ema().shadow()[i]));
  }
  const auto records = read_jsonl(b_dir.path() + "/metrics.jsonl");
  bool logged = false;
  for (const auto& rec : records) logged = logged || (rec["step"] == 5 && rec.contains("skipped"));
  CHECK(logged);
}

TEST_CASE("The learning rate follows linear warmup times the cosine schedule", "[train]") {
  test::TempDir dir;
  RunConfig config = tiny_config();  // 20 steps, warmup 5, lr 1e-3
  config.train.lr_schedule = "cosine";
  TrainOptions options;
  options.workdir = dir.path();
  Trainer trainer(config, options);
  std::vector<double> lrs;
  trainer.run([&](const TrainProgress& p) { lrs.push_back(p.lr); });
  REQUIRE(lrs.size() == 20);
  for (int i = 0; i < 20; ++i) {
    const double step = i + 1;  // the step being taken
    const double expected = 1e-3 * 0.5 * (1 + std::cos(M_PI * step / 20)) * std::min(1.0, step / 5);
    CHECK(lrs[i] == Approx(expected).epsilon(1e-12).margin(1e-18));
  }
}

TEST_CASE("A fine-tune (hold-train --init) starts from a checkpoint's raw and EMA weights at step 0", "[train]") {
  test::TempDir dir;
  RunRecord base;
  train_into(base, dir.file("base"), /*resume=*/false, /*max_steps=*/10);
  const std::string from = dir.file("base") + "/checkpoints/latest.pt";

  // Another objective weighting and learning rate: only the model must match.
  RunConfig tuned = tiny_config();
  tuned.objective.weighting = "likelihood";
  tuned.train.lr = 1e-4;
  TrainOptions options;
  options.workdir = dir.file("tuned");
  options.init = from;
  options.max_steps = 0;
  Trainer trainer(tuned, options);
  CHECK(trainer.step() == 0);
  const auto params = trainer.network().parameters();
  REQUIRE(params.size() == base.params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    CHECK(at::equal(params[i], base.params[i]));
    CHECK(at::equal(trainer.ema().shadow()[i], base.ema[i]));
  }
  std::ifstream record(dir.file("tuned") + "/init.txt");
  std::string line;
  std::getline(record, line);
  CHECK(line == from + " (step 10)");

  // A different model, or no file, is a usage error naming what is wrong.
  RunConfig other = tiny_config();
  other.model.hidden = 8;
  options.workdir = dir.file("other");
  CHECK_THROWS_WITH(Trainer(other, options), Catch::Contains("model.hidden"));
  options.workdir = dir.file("missing");
  options.init = dir.file("nothing.pt");
  CHECK_THROWS_WITH(Trainer(tuned, options), Catch::Contains("(--init)"));
}

TEST_CASE("A class-conditional fine-tune starts from an unconditional checkpoint and a fresh label embedding",
          "[train]") {
  test::TempDir dir;
  RunRecord base;
  train_into(base, dir.file("base"), /*resume=*/false, /*max_steps=*/10);
  const std::string from = dir.file("base") + "/checkpoints/latest.pt";
  RunConfig conditional = tiny_config();
  conditional.model.num_classes = num_classes(conditional.data);
  REQUIRE(conditional.model.num_classes >= 2);
  const at::Tensor fresh_table = make_network(conditional)->parameters().back().detach().clone();
  TrainOptions options;
  options.workdir = dir.file("tuned");
  options.init = from;
  options.max_steps = 0;
  Trainer trainer(conditional, options);
  // The checkpoint's weights, then the table (registered last) as a fresh
  // network draws it, raw and EMA alike.
  const auto params = trainer.network().parameters();
  REQUIRE(params.size() == base.params.size() + 1);
  for (size_t i = 0; i < base.params.size(); ++i) {
    CHECK(at::equal(params[i], base.params[i]));
    CHECK(at::equal(trainer.ema().shadow()[i], base.ema[i]));
  }
  CHECK(at::equal(params.back(), fresh_table));
  CHECK(at::equal(trainer.ema().shadow().back(), fresh_table));
  CHECK(fresh_table.std().item<double>() > 0.5);
  // Distinct labels are distinct inputs from the start.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const int64_t n = 6;
  const at::Tensor u = at::randn({n, 3}, gen), t = at::rand({n}, gen);
  const at::Tensor zeros = at::zeros({n}, at::kLong), ones = at::ones({n}, at::kLong);
  CHECK(!at::allclose(trainer.network().forward_labelled(u, t, zeros), trainer.network().forward_labelled(u, t, ones)));
  std::ifstream record(dir.file("tuned") + "/init.txt");
  std::string line;
  std::getline(record, line);
  CHECK(line == from + " (step 10), label embedding freshly drawn");

  // Training moves the table: the labels reach it.
  options.workdir = dir.file("trained");
  options.max_steps = 2;
  Trainer steps(conditional, options);
  steps.run();
  CHECK(!at::equal(steps.network().parameters().back(), fresh_table));

  // The other way (a conditional checkpoint, an unconditional config) is another model.
  options.workdir = dir.file("back");
  options.init = dir.file("trained") + "/checkpoints/latest.pt";
  CHECK_THROWS_WITH(Trainer(tiny_config(), options), Catch::Contains("model.num_classes"));
}
