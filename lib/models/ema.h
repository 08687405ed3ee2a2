#pragma once
// Exponential moving average of a module's parameters (math.md §7: the EMA
// weights are the ones sampled from):
//   shadow ← decay · shadow + (1 − decay) · θ     after every optimiser step.
// The shadow is kept in the parameters' dtype and device, in one flat buffer.
// When the parameters themselves live in one flat buffer (train/flat_parameters.h)
// an update is two tensor ops; otherwise two multi-tensor (_foreach) ops.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "hold/core/torch_fwd.h"

namespace hold {

class Ema {
 public:
  /// Tracks `model`'s parameters (by handle: in-place optimiser updates are
  /// seen); the shadow starts as a copy of them. decay ∈ [0, 1).
  Ema(const torch::nn::Module& model, double decay);

  /// shadow ← decay · shadow + (1 − decay) · θ for the tracked parameters.
  /// With `skip` (a 0-dim float on the device; 1 = the step was skipped),
  /// the average stays as it was where skip is 1, without a host read.
  void update(const at::Tensor& skip = {});
  /// Writes the shadow into the parameters of `model` (same architecture:
  /// parameters matched by name).
  void copy_to(torch::nn::Module& model) const;
  /// Resets the shadow to `model`'s parameters (matched by name).
  void copy_from(const torch::nn::Module& model);

  double decay() const { return decay_; }
  /// Whether the parameters were found in one flat buffer (two-op updates).
  bool is_flat() const { return params_flat_.defined(); }
  /// Parameter names (as Module::named_parameters) and the shadow tensors, in
  /// the same order: the EMA's state for checkpoints.
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<at::Tensor>& shadow() const { return shadow_; }
  /// Overwrites the shadow of parameter `name`; throws std::invalid_argument
  /// for an unknown name or a shape mismatch.
  void set_shadow(const std::string& name, const at::Tensor& value);

 private:
  double decay_;
  std::vector<std::string> names_;
  std::vector<at::Tensor> params_;
  std::vector<at::Tensor> shadow_;  // views into shadow_flat_
  at::Tensor params_flat_;          // defined when the parameters are one buffer
  at::Tensor shadow_flat_;
};

}  // namespace hold
