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

namespace hold {

/// fp32 | bf16 | fp16 → the autocast dtype (fp32: none → Undefined).
c10::ScalarType precision_dtype(const std::string& precision);

/// Enables autocast for `device` with `dtype` for its lifetime (a no-op for
/// fp32 / Undefined); restores the previous state after.
class AutocastScope {
 public:
  AutocastScope(c10::Device device, c10::ScalarType dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool was_enabled_ = false;
  c10::ScalarType previous_dtype_ = c10::ScalarType::Undefined;
};

class LossScaler {
 public:
  /// enabled: fp16; otherwise scale() is 1 and every step is taken.
  explicit LossScaler(bool enabled, double initial_scale = 65536.0, int64_t growth_interval = 2000);
  double scale() const { return scale_; }
  /// Divides the flat gradient buffer by the scale; returns whether every
  /// gradient is finite (false: skip the step). Adjusts the scale.
  bool unscale_and_update(const at::Tensor& grads);
  /// For checkpoints.
  void set_state(double scale, int64_t good_steps) { scale_ = scale, good_steps_ = good_steps; }
  int64_t good_steps() const { return good_steps_; }

 private:
  bool enabled_;
  double scale_;
  int64_t growth_interval_;
  int64_t good_steps_ = 0;
};

}  // namespace hold
