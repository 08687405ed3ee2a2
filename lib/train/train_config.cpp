// The checks of the `train:` section and its registries.
#include "hold/train/train_config.h"

#include <algorithm>
#include <cmath>

#include "hold/core/error.h"
#include "hold/core/format.h"

namespace hold {
namespace {

void require(bool ok, const char* key, const std::string& what) { require_key(ok, "train", key, what); }

}  // namespace

const Registry<Choice<LrSchedule>>& lr_schedule_registry() {
  static const Registry<Choice<LrSchedule>> r(
      "learning-rate schedule", "train.lr_schedule",
      {{"constant", LrSchedule::kConstant, "train.lr after the warmup"},
       {"cosine", LrSchedule::kCosine, "half a cosine from train.lr to 0 at train.steps"}});
  return r;
}

const Registry<Choice<Precision>>& precision_registry() {
  static const Registry<Choice<Precision>> r("precision", "train.precision",
                                             {{"fp32", Precision::kFp32, "no autocast"},
                                              {"bf16", Precision::kBf16, "bfloat16 autocast (CUDA and CPU)"},
                                              {"fp16", Precision::kFp16, "float16 autocast with a loss scale (CUDA)"}});
  return r;
}

void TrainConfig::validate() const {
  require(steps >= 1, "steps", "steps must be >= 1, got " + std::to_string(steps));
  require(batch_size >= 1, "batch_size", "batch_size must be >= 1, got " + std::to_string(batch_size));
  require(lr > 0 && std::isfinite(lr), "lr", "lr must be positive, got " + fmt(lr));
  require(warmup >= 0, "warmup", "warmup must be >= 0, got " + std::to_string(warmup));
  lr_schedule_registry().at(lr_schedule);
  require(std::isfinite(grad_clip), "grad_clip", "grad_clip must be finite, got " + fmt(grad_clip));
  require(ema >= 0 && ema < 1, "ema", "ema must be in [0, 1), got " + fmt(ema));
  require(log_every >= 1, "log_every", "log_every must be >= 1, got " + std::to_string(log_every));
  require(ckpt_every >= 1, "ckpt_every", "ckpt_every must be >= 1, got " + std::to_string(ckpt_every));
  require(keep_checkpoints >= 1, "keep_checkpoints",
          "keep_checkpoints must be >= 1, got " + std::to_string(keep_checkpoints));
  require(sample_every >= 0, "sample_every", "sample_every must be >= 0, got " + std::to_string(sample_every));
  require(sample_grid >= 1, "sample_grid", "sample_grid must be >= 1, got " + std::to_string(sample_grid));
  precision_registry().at(precision);
  require(max_nonfinite >= 1, "max_nonfinite", "max_nonfinite must be >= 1, got " + std::to_string(max_nonfinite));
}

double learning_rate(const TrainConfig& t, LrSchedule schedule, int64_t step_index) {
  double lr = t.lr;
  if (schedule == LrSchedule::kCosine) {
    const double progress = std::min(1.0, static_cast<double>(step_index) / static_cast<double>(t.steps));
    lr *= 0.5 * (1.0 + std::cos(M_PI * progress));
  }
  if (t.warmup <= 0) return lr;
  return lr * std::min(1.0, static_cast<double>(step_index) / static_cast<double>(t.warmup));
}

}  // namespace hold
