#pragma once
// FlatParameters: a module's parameters packed into one contiguous buffer and
// their gradients into another; every parameter and its .grad() become views
// into them. The optimiser, gradient clipping and the EMA then act on one
// tensor each: a handful of tensor ops per step instead of a handful per
// parameter (on the CPU a small op costs microseconds whatever its size).
//
// Autograd accumulates into an existing .grad() in place, so the gradients
// stay views as long as they are zeroed in place (zero_grad() here), never
// reset to undefined.
#include <ATen/core/Tensor.h>

#include "hold/core/torch_fwd.h"

namespace hold {

class FlatParameters {
 public:
  /// Packs `module`'s parameters (in named_parameters order). Call after the
  /// module has moved to its device and dtype; the module must outlive this.
  explicit FlatParameters(torch::nn::Module& module);

  /// All parameter values, [P] (writes show through to the parameters).
  const at::Tensor& values() const { return values_; }
  /// All gradients, [P].
  const at::Tensor& grads() const { return grads_; }
  /// grads ← 0, in place.
  void zero_grad() { grads_.zero_(); }
  /// Global L2 norm of the gradients; scales them to max_norm if larger
  /// (max_norm ≤ 0: no clipping). Returns the norm before clipping as a
  /// 0-dim tensor on the device: no host round trip.
  at::Tensor clip_grad_norm(double max_norm);

 private:
  at::Tensor values_;
  at::Tensor grads_;
};

}  // namespace hold
