#include "train/mixed_precision.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>

#include "core/error.h"

namespace hold {

c10::ScalarType precision_dtype(const std::string& precision) {
  if (precision == "fp32") return c10::ScalarType::Undefined;
  if (precision == "bf16") return at::kBFloat16;
  if (precision == "fp16") return at::kHalf;
  throw ConfigError("unknown precision '" + precision + "', expected fp32, bf16 or fp16 (train.precision)");
}

AutocastScope::AutocastScope(c10::Device device, c10::ScalarType dtype) {
  if (dtype == c10::ScalarType::Undefined) return;
  active_ = true;
  cuda_ = device.is_cuda();
  if (cuda_) {
    was_enabled_ = at::autocast::is_enabled();
    previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(true);
  } else {
    was_enabled_ = at::autocast::is_cpu_enabled();
    previous_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(true);
  }
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // Casts of the weights are cached inside a scope; drop them when the outermost ends.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  if (cuda_) {
    at::autocast::set_enabled(was_enabled_);
    at::autocast::set_autocast_gpu_dtype(previous_dtype_);
  } else {
    at::autocast::set_cpu_enabled(was_enabled_);
    at::autocast::set_autocast_cpu_dtype(previous_dtype_);
  }
}

LossScaler::LossScaler(bool enabled, double initial_scale, int64_t growth_interval)
    : enabled_(enabled), scale_(enabled ? initial_scale : 1.0), growth_interval_(growth_interval) {}

bool LossScaler::unscale_and_update(const at::Tensor& grads) {
  if (!enabled_) return true;
  grads.mul_(1.0 / scale_);
  const bool finite = at::isfinite(grads).all().item<bool>();
  if (!finite) {
    scale_ *= 0.5;
    good_steps_ = 0;
  } else if (++good_steps_ >= growth_interval_) {
    scale_ *= 2.0;
    good_steps_ = 0;
  }
  return finite;
}

}  // namespace hold
