#pragma once
// Classifier: a noise-conditional classifier p_t(y | u_t) of the whole
// K-block state, the interface classifier guidance calls (guided_score_model.h;
// math.md §10). The reverse drift sees only the last block's score, so the
// guidance term is ∇_{u_K} log p_t(y | u_t): a classifier of x alone would
// give none for K ≥ 2. Implemented by the exact classifier of the
// Gaussian-mixture oracle (oracle_classifier.h) and by a trained network
// (network_classifier.h, hold-train's `classifier` objective).
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace hold {

class Classifier {
 public:
  virtual ~Classifier() = default;
  /// Number of classes J (labels 0 … J − 1).
  virtual int64_t num_classes() const = 0;
  /// log p_t(y | u) for every class: [N, J] float64 (rows sum to 1 after
  /// exp). u: [N, K·C, ...]; t: [N] float64 forward times.
  virtual at::Tensor log_probs(const at::Tensor& u, const at::Tensor& t) = 0;
  /// ∇_{u_K} log p_t(y = cls | u), the last block: [N, C, ...] in u's dtype.
  virtual at::Tensor last_block_gradient(const at::Tensor& u, const at::Tensor& t, int64_t cls) = 0;
  /// ∇_u log p_t(y = cls | u) of every block: [N, K·C, ...] in u's dtype
  /// (for samplers that use the full-state score, ei's R frame).
  virtual at::Tensor full_gradient(const at::Tensor& u, const at::Tensor& t, int64_t cls) = 0;
};

}  // namespace hold
