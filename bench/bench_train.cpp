// bench-train: time per toy training iteration and its parts.
//
//   bench-train [--threads N] [--steps S] [--config FILE]
//
// Default run: batch 512, the 5-layer 128-wide MLP, bcsm on third-order HOLD
// (K = 3), 2-D swiss-roll data, Adam, EMA (the Python CLD reference: 2.6 ms).
// Prints the mean time per iteration (no profiling), the per-part shares
// (profiling on), and the objective's per-sample kernel work alone.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "io/config.h"
#include "objectives/objective.h"
#include "sde/presets.h"
#include "train/trainer.h"

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

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  int64_t steps = 500;
  std::string config_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--threads") threads = std::atoi(argv[i + 1]);
    else if (flag == "--steps") steps = std::atoll(argv[i + 1]);
    else if (flag == "--config") config_path = argv[i + 1];
  }
  at::set_num_threads(threads);
  const hold::RunConfig config = config_path.empty() ? hold::parse_config(kDefaultConfig, "bench")
                                                     : hold::load_config(config_path);
  const std::string workdir =
      (std::filesystem::temp_directory_path() / ("hold-bench-" + std::to_string(::getpid()))).string();

  hold::TrainOptions options;
  options.workdir = workdir;
  hold::Trainer trainer(config, options);
  for (int i = 0; i < 50; ++i) trainer.train_step();  // warm up allocator and caches

  // Whole iterations, no clock reads inside.
  auto t0 = Clock::now();
  for (int64_t i = 0; i < steps; ++i) trainer.train_step();
  const double per_step = ms_since(t0) / steps;

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
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto x0 = at::randn({config.train.batch_size, 2});
  for (int i = 0; i < 20; ++i) objective.perturb(x0, gen);
  t0 = Clock::now();
  for (int64_t i = 0; i < steps; ++i) objective.perturb(x0, gen);
  const double perturb_ms = ms_since(t0) / steps;

  std::printf("bench-train: %s, batch %lld, %d thread(s), %lld steps\n", sde.name().c_str(),
              static_cast<long long>(config.train.batch_size), threads, static_cast<long long>(steps));
  std::printf("  iteration          %7.3f ms  (%.0f it/s)\n", per_step, 1e3 / per_step);
  std::printf(" profiled parts (sum %.3f ms):\n", 1e3 * total / steps);
  part("data", sum.data);
  part("objective", sum.objective);
  part("forward+backward", sum.forward_backward);
  part("clip+adam", sum.optimizer);
  part("ema", sum.ema);
  std::printf("  objective.perturb  %7.3f ms  (N = %lld, alone)\n", perturb_ms,
              static_cast<long long>(config.train.batch_size));
  std::filesystem::remove_all(workdir);
  return 0;
}
