#pragma once
// ScoreModel: the one interface samplers and the likelihood call (style.md §5.2).
// Implemented by a network wrapped with its ε-parameterisation (eps_score_model.h)
// and by the exact Gaussian-mixture oracle (gaussian_mixture_oracle.h).
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "hold/core/error.h"

namespace hold {

class ScoreModel {
 public:
  virtual ~ScoreModel() = default;
  /// Score ∇_{u_K} log p_t(u) of the noisy (last) block (for K = 1 the only block).
  /// u: state [N, K·C, ...] (float32 or float64); t: [N] float64 forward times.
  /// Returns [N, C, ...] in u's dtype and device.
  virtual at::Tensor score(const at::Tensor& u, const at::Tensor& t) = 0;
  /// Whether full_score is available: the oracle (its marginal is exact in
  /// every block); a last-block network is not (gDDIM's R frame needs it).
  virtual bool has_full_score() const { return false; }
  /// ∇_u log p_t(u) of every block: [N, K·C, ...] in u's dtype and device.
  virtual at::Tensor full_score(const at::Tensor& /*u*/, const at::Tensor& /*t*/) {
    throw UsageError("this model gives only the last block's score, not the full-state score");
  }
};

/// Counts score evaluations (NFE); samplers report SampleResult::nfe from it.
/// One call counts as one evaluation whatever the batch size.
class CountingScoreModel : public ScoreModel {
 public:
  explicit CountingScoreModel(ScoreModel& inner) : inner_(inner) {}
  at::Tensor score(const at::Tensor& u, const at::Tensor& t) override {
    ++count_;
    return inner_.score(u, t);
  }
  bool has_full_score() const override { return inner_.has_full_score(); }
  at::Tensor full_score(const at::Tensor& u, const at::Tensor& t) override {
    ++count_;
    return inner_.full_score(u, t);
  }
  int64_t count() const { return count_; }

 private:
  ScoreModel& inner_;
  int64_t count_ = 0;
};

}  // namespace hold
