// The trainer on images: a resumed NCSN++ run (dropout, flips, a prefetching
// loader) reproduces the uninterrupted one exactly on the CPU; sample grids
// are written; bf16 autocast changes the forward only by rounding.
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "hold/io/config.h"
#include "hold/io/jsonl.h"
#include "hold/models/ema.h"
#include "hold/models/eps_network.h"
#include "hold/train/mixed_precision.h"
#include "hold/train/run_components.h"
#include "hold/train/trainer.h"
#include "support/idx_files.h"
#include "support/temp_dir.h"

using namespace hold;
namespace fs = std::filesystem;

namespace {

/// HOLD on 8×8 MNIST-format images with a tiny NCSN++ (dropout on, so that
/// the per-step seeding of the global generator is exercised).
RunConfig image_config(const std::string& data_dir) {
  return parse_config(R"(
seed: 5
sde: {name: hold}
data: {name: mnist, path: )" +
                          data_dir + R"(, random_flip: true, prefetch: 2}
model: {name: ncsnpp, channels: 8, ch_mult: [1, 2], num_res_blocks: 1, attn_resolutions: [4],
        dropout: 0.2, init_scale: 1.0, mixed_score: true}
objective: {name: bcsm}
train: {steps: 8, batch_size: 6, lr: 1.0e-3, warmup: 2, ema: 0.9, log_every: 1, ckpt_every: 4,
        sample_every: 4, sample_grid: 4}
sample: {method: lt, nfe: 4, grid: uniform}
)",
                      "image_trainer_test");
}

struct Record {
  std::vector<double> losses;
  std::vector<at::Tensor> params, ema;
};

void train_into(Record& record, const RunConfig& config, const std::string& workdir, bool resume, int64_t max_steps) {
  TrainOptions options;
  options.workdir = workdir;
  options.resume = resume;
  options.max_steps = max_steps;
  Trainer trainer(config, options);
  trainer.run([&](const TrainProgress& p) { record.losses.push_back(p.loss); });
  record.params.clear();
  for (const auto& p : trainer.network().parameters()) record.params.push_back(p.detach().clone());
  record.ema = trainer.ema().shadow();
}

}  // namespace

TEST_CASE("An image run resumed halfway gives the same losses and weights as one run straight", "[train][images]") {
  test::TempDir dir;
  test::write_mnist_folder(dir.file("data"), 20, 8);  // 3 batches of 6 per epoch: epochs roll over
  const RunConfig config = image_config(dir.file("data"));
  Record straight, split;
  train_into(straight, config, dir.file("straight"), false, -1);
  train_into(split, config, dir.file("split"), false, 4);
  train_into(split, config, dir.file("split"), true, -1);

  REQUIRE(straight.losses.size() == 8);
  REQUIRE(split.losses.size() == 8);
  for (size_t i = 0; i < 8; ++i) {
    INFO("step " << i + 1);
    CHECK(split.losses[i] == straight.losses[i]);
  }
  REQUIRE(split.params.size() == straight.params.size());
  for (size_t i = 0; i < straight.params.size(); ++i) {
    CHECK(at::equal(split.params[i], straight.params[i]));
    CHECK(at::equal(split.ema[i], straight.ema[i]));
  }
  // Grids at steps 4 and 8 (4 images of 8×8 with 2-pixel padding: 2×2 tiles → 22×22).
  CHECK(fs::exists(dir.file("straight") + "/samples/grid_4.png"));
  CHECK(fs::exists(dir.file("straight") + "/samples/grid_8.png"));
  // Different data order would change the losses: the seed matters.
  RunConfig other = config;
  other.seed = 6;
  Record reseeded;
  train_into(reseeded, other, dir.file("reseeded"), false, 2);
  CHECK(reseeded.losses[0] != straight.losses[0]);
}

TEST_CASE("bf16 autocast runs NCSN++ in bfloat16 and stays within its rounding of fp32", "[train][images]") {
  test::TempDir dir;
  test::write_mnist_folder(dir.file("data"), 8, 8);
  const RunConfig config = image_config(dir.file("data"));
  auto net = make_network(config);
  net->eval();
  const auto u = at::randn({2, 3, 8, 8});
  const auto t = at::tensor({0.1f, 0.8f});
  at::NoGradGuard no_grad;
  const auto exact = net->forward(u, t);
  at::Tensor rounded;
  {
    AutocastScope autocast(at::kCPU, precision_dtype(Precision::kBf16));
    rounded = net->forward(u, t);
  }
  CHECK(rounded.scalar_type() == at::kBFloat16);
  const double rel = ((rounded.to(at::kFloat) - exact).norm() / exact.norm()).item<double>();
  CHECK(rel > 0);     // it did run in bf16 ...
  CHECK(rel < 0.05);  // ... with bf16's 8-bit mantissa
  // The scope restored the previous state.
  CHECK(net->forward(u, t).scalar_type() == at::kFloat);
}
