#pragma once
// GaussianMixtureOracle: the exact score of the forward marginal when the data
// are a Gaussian mixture (math.md §6). Served as a ScoreModel it lets every
// sampler and the likelihood run with a perfect network, so their own error is
// measured alone.
//
// For data Σ_j π_j N(m_j, diag(s_j²)) the marginal of u_t is again a mixture:
// component j has, for each data coordinate i independently, the K-dim law
//   N(Φ [m_ji; 0; …], Σ_ji),   Σ_ji = Φ diag(s_ji², εΣ∞_22, …) Φᵀ + Q
// (= LinearSde::marginal_cov with the data variance on the x entry of the
// sampler's Σ₀). The score of the last block is the responsibility-weighted
// sum of the components' scores −[Σ_ji⁻¹ (u_i − μ_ji)]_K, with responsibilities
// by log-sum-exp. All of it is computed in float64.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>

#include "hold/core/gaussian_mixture.h"
#include "hold/models/score_model.h"
#include "hold/sde/mat.h"

namespace hold {

class LinearSde;

class GaussianMixtureOracle : public ScoreModel {
 public:
  /// The sde must outlive the oracle. Throws ConfigError ("oracle.*") for a bad mixture.
  GaussianMixtureOracle(const LinearSde& sde, GaussianMixture mixture);
  ~GaussianMixtureOracle() override;

  /// ∇_{u_K} log p_t(u). u: [N, K·C, ...] float32 or float64 with C·H·W = the
  /// mixture's dimension; t: [N] forward times (all equal: the K×K work is done
  /// once; per-sample times also work). Returns [N, C, ...] in u's dtype.
  at::Tensor score(const at::Tensor& u, const at::Tensor& t) override;
  /// ∇_u log p_t(u) of all K blocks: [N, K·C, ...] in u's dtype.
  bool has_full_score() const override { return true; }
  at::Tensor full_score(const at::Tensor& u, const at::Tensor& t) override;
  /// log p_t(y = j | u), the exact noise-conditional classifier when the
  /// classes are the components (issue 14): [N, J] float64, differentiable
  /// in u (autograd), rows summing to 1 after exp.
  at::Tensor log_responsibilities(const at::Tensor& u, const at::Tensor& t) const;
  /// ∇ log p_t(y = j | u) = s_j(u) − s(u), component j's score minus the
  /// mixture's, in closed form (no autograd): of the last block ([N, C, ...])
  /// or, with all_blocks, of every block ([N, K·C, ...]); in u's dtype.
  at::Tensor class_gradient(const at::Tensor& u, const at::Tensor& t, int j, bool all_blocks = false) const;
  /// log p_t(u) of the whole augmented state: [N] float64.
  at::Tensor log_prob(const at::Tensor& u, const at::Tensor& t) const;
  /// The ε a perfect network would predict, −ℓ_t · score, with ℓ_t from the
  /// objective's Σ₀ (math.md §3): [N, C, ...] in u's dtype.
  at::Tensor eps(const at::Tensor& u, const at::Tensor& t, const Mat& sigma0) const;

  const GaussianMixture& mixture() const { return mixture_; }

 private:
  struct Coefficients;
  at::Tensor exact_score(const at::Tensor& u, const at::Tensor& t) const;
  struct Logits;
  /// Σ_j w_j s_j(u) with per-sample component weights w [N, J] (the
  /// responsibilities give the score): last block [N, d] or every block [N, K, d].
  at::Tensor weighted_last_score(const Logits& l, const at::Tensor& w) const;
  at::Tensor weighted_full_score(const Logits& l, const at::Tensor& w) const;
  /// Quadratic-form coefficients at the times t ([1, …] when all are equal).
  std::shared_ptr<const Coefficients> coefficients(const at::Tensor& t_cpu) const;
  /// The per-coordinate K×K algebra at one time, written into row g of c.
  void fill_coefficients(double t, int64_t g, Coefficients& c) const;

  /// Component logits [N, J] (log π_j + log N_j(u)) and the state as [N, K, d].
  Logits logits(const at::Tensor& u, const at::Tensor& t) const;

  const LinearSde& sde_;
  GaussianMixture mixture_;
  // One-entry cache: samplers call score repeatedly at the same time.
  mutable std::shared_ptr<const Coefficients> cached_;
  mutable double cached_t_ = -1.0;
};

}  // namespace hold
