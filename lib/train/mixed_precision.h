#pragma once
// Mixed precision for training (train.precision), as torch.autocast and
// torch.cuda.amp.GradScaler do it:
//   AutocastScope  runs the network's forward in bf16/fp16 where that is safe
//                  (matmuls, convolutions), keeping reductions in fp32;
//   LossScaler     fp16's dynamic loss scale: the loss is multiplied before
//                  backward so small gradients do not flush to zero; the
//                  gradients are divided back, and a step whose gradients
//                  overflowed is skipped and the scale halved.
// Written device-agnostically: CUDA autocast on GPUs, CPU autocast (bf16
// only) on the CPU. Only the CPU path can be tested on machines without a GPU.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <string>

#include "hold/train/train_config.h"

namespace hold {

/// train.precision → the autocast dtype (fp32: none → Undefined).
c10::ScalarType precision_dtype(Precision precision);

/// Enables autocast for `device` with `dtype` for its lifetime (a no-op for
/// fp32 / Undefined); restores the previous state after.
class AutocastScope {
 public:
  AutocastScope(c10::Device device, c10::ScalarType dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  c10::DeviceType device_type_;
  bool active_ = false;
  bool was_enabled_ = false;
  c10::ScalarType previous_dtype_ = c10::ScalarType::Undefined;
};

/// fp16's dynamic loss scale, kept on the run's device so that no step reads
/// it back to the host (GradScaler's arithmetic through the same ATen ops:
/// _amp_foreach_non_finite_check_and_unscale_ and _amp_update_scale_).
class LossScaler {
 public:
  /// enabled: fp16; otherwise the loss is left as it is and no step is refused.
  LossScaler(bool enabled, c10::Device device, double initial_scale = 65536.0, int64_t growth_interval = 2000);
  bool enabled() const { return enabled_; }
  /// loss · scale (the loss itself when disabled).
  at::Tensor scale_loss(const at::Tensor& loss) const;
  /// Divides the flat gradient buffer by the scale and updates the scale:
  /// halved after a step with a non-finite gradient, doubled after
  /// growth_interval finite steps in a row. Returns the step's overflow flag
  /// (a 0-dim float, 1 = skip the step) on the device; undefined when disabled.
  at::Tensor unscale_and_update(const at::Tensor& grads);
  /// The current scale (0-dim float on the device).
  const at::Tensor& scale() const { return scale_; }

 private:
  bool enabled_;
  int64_t growth_interval_;
  at::Tensor scale_;           // float32
  at::Tensor growth_tracker_;  // int32: finite steps since the last change
  at::Tensor found_inf_;       // float32
};

}  // namespace hold
