#pragma once
// EpsNetwork: the base of every score network. It maps the whole state and the
// time to ε for the noisy block and knows nothing about SDEs (EDM's split of
// architecture and parameterisation; eps_score_model.h adds −ε/ℓ_t).
#include <torch/nn/module.h>

namespace hold {

class EpsNetwork : public torch::nn::Module {
 public:
  /// u: [N, K·C, ...] float32; t: [N] float32 forward times in [0, T].
  /// Returns ε̂ for the last block: [N, C, ...].
  virtual at::Tensor forward(const at::Tensor& u, const at::Tensor& t) = 0;
  /// Class-conditional networks (model.num_classes > 0; classifier-free
  /// guidance, math.md §10.1): ε̂ given labels [N] int64 in 0 … num_classes(),
  /// num_classes() being the null label ∅ (undefined labels: ∅ for every
  /// sample); forward(u, t) is ∅'s. Other networks take no labels.
  virtual at::Tensor forward_labelled(const at::Tensor& u, const at::Tensor& t, const at::Tensor& labels) {
    TORCH_CHECK(!labels.defined(), "this network takes no class labels (model.num_classes is 0)");
    return forward(u, t);
  }
  /// Number of classes a class-conditional network knows (0: unconditional).
  virtual int64_t num_classes() const { return 0; }

  /// Image networks on CUDA run faster in channels_last (NHWC) layout:
  /// converts the 4-D weights and makes forward take its input that way.
  /// A no-op for networks without convolutions. Call before FlatParameters.
  virtual void use_channels_last() {}
};

}  // namespace hold
