#pragma once
// The `train:` section of a run config, owned here: the keys, their checks
// and the registries of the learning-rate schedules and precisions.
#include <cstdint>
#include <string>

#include "hold/core/registry.h"

namespace hold {

struct TrainConfig {
  int64_t steps = 20000;
  int64_t batch_size = 512;
  double lr = 1e-3;
  /// Linear warmup of the learning rate over this many steps.
  int64_t warmup = 0;
  /// Learning rate after warmup: constant | cosine (decays to 0 at train.steps,
  /// which sharpens fine structure such as the thin swiss rolls).
  std::string lr_schedule = "constant";
  /// Gradient clipping by global norm (≤ 0: off).
  double grad_clip = 1.0;
  /// EMA decay of the weights used for sampling.
  double ema = 0.999;
  int64_t log_every = 100;
  int64_t ckpt_every = 5000;
  /// How many periodic checkpoints to keep (the latest is always kept).
  int64_t keep_checkpoints = 3;
  /// Images: a grid of samples (EMA weights, the sample section's sampler)
  /// every this many steps (0: never).
  int64_t sample_every = 0;
  /// Images in that grid.
  int64_t sample_grid = 64;
  /// fp32 | bf16 | fp16: autocast of the network's forward (fp16 with a
  /// dynamic loss scale). CUDA; bf16 also runs on the CPU.
  std::string precision = "fp32";
  /// Steps in a row with a non-finite loss or gradient before the run stops
  /// (each one is skipped: no update reaches the weights).
  int64_t max_nonfinite = 10;

  /// Throws ConfigError ending in "(train.<key>)".
  void validate() const;
};

enum class LrSchedule { kConstant, kCosine };
enum class Precision { kFp32, kBf16, kFp16 };
/// train.lr_schedule: constant | cosine.
const Registry<Choice<LrSchedule>>& lr_schedule_registry();
/// train.precision: fp32 | bf16 | fp16.
const Registry<Choice<Precision>>& precision_registry();

/// The learning rate of step `step_index` (0-based): lr, the schedule, then
/// the linear warmup. `schedule` is train.lr_schedule resolved.
double learning_rate(const TrainConfig& train, LrSchedule schedule, int64_t step_index);

}  // namespace hold
