#pragma once
// Time features for the score networks (math.md §7): t ∈ [0, T] → [sin(t ω), cos(t ω)]
// (or of log t, see log_time)
// with fixed frequencies ω (a registered buffer, saved with the weights):
//   fourier     ω = 2π W, W ~ N(0, scale²) (Gaussian Fourier features, scale 16)
//   sinusoidal  ω_i = 1000 · 10000^(−i/(half−1)) (transformer positions of 1000·t)
#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace hold {

enum class TimeEmbeddingKind { kFourier, kSinusoidal };

struct TimeEmbeddingOptions {
  explicit TimeEmbeddingOptions(int64_t dim = 64) : dim_(dim) {}
  /// Number of features (even): half sines, half cosines.
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(TimeEmbeddingKind, kind) = TimeEmbeddingKind::kFourier;
  /// fourier: std of W (score SDE and CLD use 16).
  TORCH_ARG(double, fourier_scale) = 16.0;
  /// fourier: seed of the generator that draws W (the run's seed).
  TORCH_ARG(uint64_t, seed) = 0;
  /// Embed log t instead of t (NCSN++ as in CLD-SGM: spreads the small times,
  /// where the score changes fastest, over many periods of the features).
  TORCH_ARG(bool, log_time) = false;
};

class TimeEmbeddingImpl : public torch::nn::Module {
 public:
  explicit TimeEmbeddingImpl(const TimeEmbeddingOptions& options);
  /// Draws the frequencies again (from options.seed).
  void reset();
  /// t: [N] (any float dtype) → [N, dim] float features in the module's dtype.
  at::Tensor forward(const at::Tensor& t);

  TimeEmbeddingOptions options;
  at::Tensor frequencies;  ///< ω, [dim/2]
};
TORCH_MODULE(TimeEmbedding);

}  // namespace hold
