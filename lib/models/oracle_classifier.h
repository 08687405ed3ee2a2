#pragma once
// The exact noise-conditional classifier of a Gaussian-mixture data set whose
// classes are the components (math.md §6, §10): p_t(y = j | u) is component
// j's responsibility for the state u at time t, and its gradient is
// s_j(u) − s(u), component j's score minus the mixture's, in closed form.
// With w = 1 guidance by it gives exactly the component's own score.
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "hold/models/classifier.h"

namespace hold {

class GaussianMixtureOracle;

class OracleClassifier : public Classifier {
 public:
  /// The oracle must outlive the classifier.
  explicit OracleClassifier(const GaussianMixtureOracle& oracle) : oracle_(oracle) {}
  int64_t num_classes() const override;
  at::Tensor log_probs(const at::Tensor& u, const at::Tensor& t) override;
  at::Tensor last_block_gradient(const at::Tensor& u, const at::Tensor& t, int64_t cls) override;
  at::Tensor full_gradient(const at::Tensor& u, const at::Tensor& t, int64_t cls) override;

 private:
  const GaussianMixtureOracle& oracle_;
};

}  // namespace hold
