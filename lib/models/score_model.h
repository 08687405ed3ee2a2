#pragma once
// ScoreModel: the one interface samplers and the likelihood call (style.md §5.2).
// Implemented by a network wrapped with its ε-parameterisation (eps_score_model.h)
// and by the exact Gaussian-mixture oracle (gaussian_mixture_oracle.h).
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace hold {

class ScoreModel {
 public:
  virtual ~ScoreModel() = default;
  /// Score ∇_{u_K} log p_t(u) of the noisy (last) block (for K = 1 the only block).
  /// u: state [N, K·C, ...] (float32 or float64); t: [N] float64 forward times.
  /// Returns [N, C, ...] in u's dtype and device.
  virtual at::Tensor score(const at::Tensor& u, const at::Tensor& t) = 0;
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
  int64_t count() const { return count_; }

 private:
  ScoreModel& inner_;
  int64_t count_ = 0;
};

}  // namespace hold
