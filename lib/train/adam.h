#pragma once
// Adam (Kingma & Ba 2015) on one flat parameter buffer (flat_parameters.h):
// the arithmetic of torch::optim::Adam without weight decay or amsgrad,
//   m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
//   θ ← θ − lr/(1 − β₁ᵗ) · m / (sqrt(v)/sqrt(1 − β₂ᵗ) + eps),
// as one fused kernel over the whole buffer (ATen's _fused_adam_, the kernel
// behind torch.optim.Adam(fused=True), on the CPU and on CUDA). The step
// count lives on the device too, so a step never reads anything back.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace torch {
namespace serialize {
class InputArchive;
class OutputArchive;
}  // namespace serialize
}  // namespace torch

namespace hold {

class Adam {
 public:
  /// params, grads: [P] buffers (FlatParameters::values/grads), updated in place.
  Adam(at::Tensor params, at::Tensor grads, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8);

  /// One step at learning rate lr. With `skip` (a 0-dim float on the
  /// device, GradScaler's found_inf): where it is 1 nothing changes, neither
  /// the weights nor the moments nor the step count.
  void step(double lr, const at::Tensor& skip = {});
  /// Steps taken (t of the bias corrections); reads the device.
  int64_t steps() const;
  /// The first and second moment estimates (flat, like the parameters).
  const at::Tensor& exp_avg() const { return exp_avg_; }
  const at::Tensor& exp_avg_sq() const { return exp_avg_sq_; }

  /// The moments and the step count (checkpoints).
  void save(torch::serialize::OutputArchive& archive) const;
  /// Throws c10::Error if the archive lacks them or their size differs.
  void load(torch::serialize::InputArchive& archive);

 private:
  at::Tensor params_, grads_;
  at::Tensor exp_avg_, exp_avg_sq_;
  at::Tensor steps_;  // float32 scalar on the parameters' device, as _fused_adam_ wants
  double beta1_, beta2_, eps_;
};

}  // namespace hold
