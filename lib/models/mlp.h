#pragma once
// The toy score network (math.md §7): an MLP on the whole state and the time.
//
//   u [N, K·d] ─┐
//               ├─ cat ─ Linear ─ SiLU ─ … ─ Linear ─ ε̂ [N, d]   (`layers` Linear layers)
//   t [N] ─ TimeEmbedding ─┘   (+ a label embedding when class-conditional)
//
// It sees all K blocks and predicts ε for the last one (EpsNetwork); the score
// parameterisation −ε/ℓ_t lives in EpsScoreModel.
#include <torch/arg.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "hold/models/eps_network.h"
#include "hold/models/time_embedding.h"

namespace torch {
namespace nn {
class EmbeddingImpl;
class LinearImpl;
}  // namespace nn
}  // namespace torch

namespace hold {

struct MlpOptions {
  /// in_features: the state width K·d; out_features: d (ε of the last block).
  MlpOptions(int64_t in_features, int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  /// Width of the hidden layers (toy default 128).
  TORCH_ARG(int64_t, hidden) = 128;
  /// Number of Linear layers, ≥ 2 (toy default 5).
  TORCH_ARG(int64_t, layers) = 5;
  /// Time features concatenated to the input.
  TORCH_ARG(TimeEmbeddingOptions, embedding) = TimeEmbeddingOptions();
  /// Class-conditional: a learnt embedding of the label (0 … num_classes − 1,
  /// and num_classes for ∅) is added to the time features; 0: unconditional.
  TORCH_ARG(int64_t, num_classes) = 0;
  /// Seed of the weight initialisation (and of the Fourier features): the
  /// same seed gives the same initial network, independent of the global RNG.
  TORCH_ARG(uint64_t, seed) = 0;
};

class MlpImpl : public EpsNetwork {
 public:
  explicit MlpImpl(const MlpOptions& options);
  /// Registers the layers and draws their initial weights from options.seed:
  /// weight and bias ~ U(±1/sqrt(fan_in)) (PyTorch's default for Linear).
  void reset();
  /// u: [N, K·d] float; t: [N] forward times. Returns [N, d].
  at::Tensor forward(const at::Tensor& u, const at::Tensor& t) override;
  at::Tensor forward_labelled(const at::Tensor& u, const at::Tensor& t, const at::Tensor& labels) override;
  int64_t num_classes() const override { return options.num_classes(); }

  MlpOptions options;

 private:
  TimeEmbedding embed_{nullptr};
  std::shared_ptr<torch::nn::EmbeddingImpl> label_embed_;  // class-conditional only
  std::vector<std::shared_ptr<torch::nn::LinearImpl>> layers_;
};
TORCH_MODULE(Mlp);

}  // namespace hold
