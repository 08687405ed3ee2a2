#include "hold/train/mixed_precision.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>

#include "hold/core/error.h"

namespace hold {

c10::ScalarType precision_dtype(Precision precision) {
  switch (precision) {
    case Precision::kBf16: return at::kBFloat16;
    case Precision::kFp16: return at::kHalf;
    case Precision::kFp32: break;
  }
  return c10::ScalarType::Undefined;
}

// The device-typed autocast API (LibTorch >= 2.4; the per-device
// set_enabled/set_cpu_enabled family it replaces is deprecated).
AutocastScope::AutocastScope(c10::Device device, c10::ScalarType dtype) : device_type_(device.type()) {
  if (dtype == c10::ScalarType::Undefined) return;
  active_ = true;
  was_enabled_ = at::autocast::is_autocast_enabled(device_type_);
  previous_dtype_ = at::autocast::get_autocast_dtype(device_type_);
  at::autocast::set_autocast_dtype(device_type_, dtype);
  at::autocast::set_autocast_enabled(device_type_, true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // Casts of the weights are cached inside a scope; drop them when the outermost ends.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(device_type_, was_enabled_);
  at::autocast::set_autocast_dtype(device_type_, previous_dtype_);
}

LossScaler::LossScaler(bool enabled, c10::Device device, double initial_scale, int64_t growth_interval)
    : enabled_(enabled), growth_interval_(growth_interval) {
  if (!enabled_) return;
  const auto on = at::TensorOptions().device(device);
  scale_ = at::full({}, initial_scale, on.dtype(at::kFloat));
  growth_tracker_ = at::zeros({}, on.dtype(at::kInt));
  found_inf_ = at::zeros({}, on.dtype(at::kFloat));
}

at::Tensor LossScaler::scale_loss(const at::Tensor& loss) const { return enabled_ ? loss * scale_ : loss; }

at::Tensor LossScaler::unscale_and_update(const at::Tensor& grads) {
  if (!enabled_) return {};
  found_inf_.zero_();
  at::_amp_foreach_non_finite_check_and_unscale_({grads}, found_inf_, scale_.reciprocal());
  at::_amp_update_scale_(scale_, growth_tracker_, found_inf_, /*growth=*/2.0, /*backoff=*/0.5, growth_interval_);
  return found_inf_.clone();
}

}  // namespace hold
