// bench-train: time per training iteration and its parts.
//
//   bench-train [--threads N] [--steps S] [--warmup W] [--block B] [--config FILE]
//               [--set key=value ...] [--default-malloc]
//
// Default run: batch 512, the 5-layer 128-wide MLP, bcsm on third-order HOLD
// (K = 3), 2-D swiss-roll data, Adam, EMA (the Python CLD reference: 2.6 ms).
// Prints the time per iteration (no profiling; median and best of blocks of
// 50 steps, since a shared machine's neighbours inflate some blocks), the
// per-part shares (profiling on), the share outside the network's
// forward/backward and the optimiser, and the objective's perturbation alone.
// The network's GEMMs dominate: an environment that pins OPENBLAS_CORETYPE to
// Haswell runs AVX2 kernels on an AVX-512 CPU, ~1.8x slower than OpenBLAS's own choice.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <malloc.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "hold/core/build_info.h"
#include "hold/core/seeds.h"
#include "hold/data/data_source.h"
#include "hold/io/cli.h"
#include "hold/io/config.h"
#include "hold/objectives/objective.h"
#include "hold/sde/presets.h"
#include "hold/train/trainer.h"

namespace {

using Clock = std::chrono::steady_clock;

const char* kDefaultConfig = R"(
seed: 0
sde: {name: hold}
data: {name: swissroll}
model: {name: mlp, hidden: 128, layers: 5, embedding: fourier}
objective: {name: bcsm, blocks: [x], weighting: noise}
train: {batch_size: 512, lr: 1.0e-3, warmup: 100, grad_clip: 1.0, ema: 0.999,
        log_every: 1000000, ckpt_every: 1000000}
)";

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  int64_t steps = 500, warmup = 50, block = 50;
  bool print_build = false;
  bool tune_malloc = true;
  std::string config_path;
  std::vector<std::string> overrides;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : "";
    if (flag == "--threads")
      threads = std::atoi(value), ++i;
    else if (flag == "--steps")
      steps = std::atoll(value), ++i;
    else if (flag == "--config")
      config_path = value, ++i;
    else if (flag == "--set")
      overrides.push_back(value), ++i;
    else if (flag == "--warmup")
      warmup = std::atoll(value), ++i;
    else if (flag == "--block")
      block = std::max<int64_t>(1, std::atoll(value)), ++i;
    else if (flag == "--default-malloc")
      tune_malloc = false;
    else if (flag == "--build-info")
      print_build = true;
  }
  if (tune_malloc) {
    hold::tune_cpu_runtime();  // as every hold-* tool does
  }
  at::set_num_threads(threads);
  const hold::RunConfig config = config_path.empty() ? hold::parse_config(kDefaultConfig, "bench", overrides)
                                                     : hold::load_config(config_path, overrides);
  const std::string workdir =
      (std::filesystem::temp_directory_path() / ("hold-bench-" + std::to_string(::getpid()))).string();

  hold::TrainOptions options;
  options.workdir = workdir;
  hold::Trainer trainer(config, options);
  for (int64_t i = 0; i < warmup; ++i) trainer.train_step();  // warm up allocator and caches

  // Whole iterations, no clock reads inside, in blocks of 50: on a shared
  // machine the fastest block is the best estimate of the uncontended time.
  std::vector<double> block_ms;
  for (int64_t done = 0; done < steps; done += block) {
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < block; ++i) trainer.train_step();
    block_ms.push_back(ms_since(t0) / block);
  }
  std::sort(block_ms.begin(), block_ms.end());
  const double per_step = block_ms[block_ms.size() / 2];
  const double best_step = block_ms.front();

  // The same with per-part timings.
  trainer.set_profiling(true);
  hold::StepTimings sum;
  for (int64_t i = 0; i < steps; ++i) {
    const auto p = trainer.train_step();
    sum.data += p.timings.data;
    sum.objective += p.timings.objective;
    sum.forward_backward += p.timings.forward_backward;
    sum.optimizer += p.timings.optimizer;
    sum.ema += p.timings.ema;
  }
  const double total = sum.data + sum.objective + sum.forward_backward + sum.optimizer + sum.ema;
  auto part = [&](const char* name, double s) {
    std::printf("  %-18s %7.3f ms  %5.1f %%\n", name, 1e3 * s / steps, 100.0 * s / total);
  };

  // The objective's per-sample kernel work alone (Φ, L_t for N times).
  const hold::LinearSde sde = hold::make_sde(config.sde);
  const hold::Objective objective(sde, config.objective);
  auto gen = hold::make_generator(1);
  std::vector<int64_t> shape = hold::data_shape(config.data);
  shape.insert(shape.begin(), config.train.batch_size);
  const auto x0 = at::randn(shape);
  for (int i = 0; i < 20; ++i) objective.perturb(x0, gen);
  double perturb_ms = 1e30;
  for (int64_t done = 0; done < steps; done += block) {
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < block; ++i) objective.perturb(x0, gen);
    perturb_ms = std::min(perturb_ms, ms_since(t0) / block);
  }

  if (config_path.empty() || print_build) std::printf("%s\n", hold::version_report().c_str());
  std::printf("bench-train: %s, batch %lld, %d thread(s), %lld steps\n", sde.name().c_str(),
              static_cast<long long>(config.train.batch_size), threads, static_cast<long long>(steps));
  std::printf("  iteration          %7.3f ms median, %.3f ms best of %zu blocks (%.0f it/s best)\n", per_step,
              best_step, block_ms.size(), 1e3 / best_step);
  std::printf(" profiled parts (mean, sum %.3f ms):\n", 1e3 * total / steps);
  part("data", sum.data);
  part("objective", sum.objective);
  part("forward+backward", sum.forward_backward);
  part("clip+adam", sum.optimizer);
  part("ema", sum.ema);
  std::printf("  outside network and optimiser (data + objective + ema): %.2f %%\n",
              100.0 * (sum.data + sum.objective + sum.ema) / total);
  std::printf("  objective.perturb  %7.3f ms  (N = %lld, alone, best block)\n", perturb_ms,
              static_cast<long long>(config.train.batch_size));
  std::filesystem::remove_all(workdir);
  return 0;
}
