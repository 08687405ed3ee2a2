#pragma once
// LinearSde: the one family of forward SDEs of math.md §1,
//   du = β(t) (F ⊗ I) u dt + sqrt(β(t)) (G ⊗ I) dW,   D = G Gᵀ,
// with exact Gaussian kernels. All K×K mathematics of the library lives here
// and in its helpers (style.md §5.1): samplers, objectives, the oracle and the
// likelihood ask this class for coefficients and never contain a preset formula.
//
// Convention (checked at construction): noise enters only the last block, i.e.
// D is zero except D_KK > 0. Every preset of math.md §2 has this form; it is
// what makes the reverse process need only the last block's score.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "hold/sde/linear_kernel.h"
#include "hold/sde/mat.h"
#include "hold/sde/schedule.h"

namespace hold {

/// Everything that defines one forward SDE; presets (presets.h) build these.
struct SdeSpec {
  std::string name;       ///< preset name, for messages
  Mat drift;              ///< F (K×K)
  Mat diffusion;          ///< D (K×K), nonzero only at (K−1, K−1)
  BetaSchedule schedule;  ///< β(t)
  double t_max = 1.0;     ///< T
  double eps = 0.04;      ///< initial aux variance factor ε: u_k(0) ~ N(0, ε Σ∞_kk), k ≥ 2
  /// subvp: g²(t) = β(t) (1 − e^{−2B(t)}) and closed-form kernels (math.md §2).
  bool subvp = false;
  /// ve: no stationary law; the prior is N(0, ve_prior_var I).
  double ve_prior_var = 0.0;
};

/// How far the kernel at T is from the prior (math.md §2).
struct PriorMismatch {
  bool applicable = true;  ///< false for ve (no stationary law)
  double phi_max = 0.0;    ///< max |Φ(B(T))|
  double cov_err = 0.0;    ///< max |Σ(T) − Σ∞| with Σ₀ = the training Σ₀ of bcsm
  bool ok() const { return !applicable || (phi_max <= 1e-2 && cov_err <= 1e-2); }
};

class LinearSde {
 public:
  explicit LinearSde(SdeSpec spec);

  const std::string& name() const { return spec_.name; }
  /// K, the number of blocks of the augmented state.
  int num_blocks() const { return spec_.drift.rows(); }
  const Mat& drift() const { return spec_.drift; }
  const Mat& diffusion() const { return spec_.diffusion; }
  double t_max() const { return spec_.t_max; }
  double eps() const { return spec_.eps; }
  bool is_subvp() const { return spec_.subvp; }

  double beta(double t) const { return spec_.schedule.beta(t); }
  double big_b(double t) const { return spec_.schedule.big_b(t); }
  /// B(t_hi) − B(t_lo).
  double delta_b(double t_lo, double t_hi) const { return spec_.schedule.delta_b(t_lo, t_hi); }
  /// g²(t): the squared diffusion coefficient of the noisy (last) block,
  /// β(t) D_KK (× (1 − e^{−2B(t)}) for subvp).
  double g2(double t) const;

  /// False for ve, whose Φ ≡ 1 has no stationary law.
  bool has_stationary_law() const { return spec_.ve_prior_var == 0.0; }
  /// Covariance of the prior (K×K): Σ∞, or σ_max² for ve.
  const Mat& prior_cov() const { return prior_cov_; }
  /// Σ∞⁻¹ (the prior's precision; σ_max⁻² for ve).
  const Mat& prior_precision() const { return prior_precision_; }

  /// Φ(B(t)), Q(B(t)): the forward kernel from 0 to t.
  Kernel kernel(double t) const;
  /// Φ and Q over the b-interval [0, b] (table-accelerated).
  Kernel kernel_at_b(double b) const;

  /// Â = −F − D Σ∞⁻¹ = Σ∞ Fᵀ Σ∞⁻¹, the linear part of the lt splitting (§4).
  const Mat& split_drift() const;
  /// Exact kernel of du = β Â u dτ + sqrt(β) G dW̄ as reverse time goes from
  /// forward time t_hi down to t_lo (b-interval B(t_hi) − B(t_lo)).
  Kernel split_kernel(double t_hi, double t_lo) const;

  /// Initial covariance Σ₀ (K×K) when the blocks listed in `given` (0 = x,
  /// always included) are known: diag(ε Σ∞_kk) on the others, zero elsewhere (§3).
  Mat initial_cov(const std::vector<int>& given) const;
  /// Σ₀ of the data-only objective (bcsm with S = {x}); the sampler's Σ₀.
  Mat default_initial_cov() const { return initial_cov({0}); }
  /// Σ_t = Φ Σ₀ Φᵀ + Q.
  Mat marginal_cov(double t, const Mat& sigma0) const;
  /// L_t with L_t L_tᵀ = Σ_t, in square-root form (never factors Σ_t) (§3).
  Mat marginal_factor(double t, const Mat& sigma0) const;
  /// The same from the kernel at t, already computed by the caller (the
  /// training objective needs both Φ and L_t per sample: one kernel, not two).
  Mat marginal_factor(const Kernel& kern, double t, const Mat& sigma0) const;
  /// ℓ_t = (L_t)_KK.
  double ell(double t, const Mat& sigma0) const;

  /// u ~ N(0, prior_cov ⊗ I) with the given state shape ([N, K·C, ...]).
  at::Tensor prior_sample(at::IntArrayRef state_shape, at::Generator gen, at::ScalarType dtype) const;
  /// log N(u; 0, prior_cov ⊗ I) per sample: [N] float64.
  at::Tensor prior_log_prob(const at::Tensor& u) const;
  /// How well the kernel at T matches the prior.
  PriorMismatch prior_mismatch() const;

  /// Throws NumericalError naming the SDE, the time and the matrix.
  [[noreturn]] void fail(const std::string& what, double t, const Mat& m) const;

 private:
  SdeSpec spec_;
  Mat prior_cov_, prior_precision_, prior_chol_;
  Mat split_drift_;
  LinearKernel forward_;  // (F, D), table over [0, B(T)]
  LinearKernel split_;    // (Â, D)
};

}  // namespace hold
