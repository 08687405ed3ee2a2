#pragma once
// DataFrame: the data-prediction frame of the probability-flow ODE, the linear
// algebra of the exponential integrator `ei --frame x` (math.md §9).
//
// A frame covariance Σ₀ (the training kernel's: x variance v = 0 and εΣ∞_kk on
// the aux blocks; or any v > 0) gives Σ_c(b) = Φ Σ₀ Φᵀ + Q = L Lᵀ. For every
// data law the last-block score defines x̂ by s_K = −[Σ_c⁻¹ (u − Φ e_x x̂)]_K:
//   x̂ = ((L⁻¹u)_K + ℓ s_K) / g_K,   g = L⁻¹ Φ e_x,   ℓ = L_KK
// (x̂ = E[x₀ | u] when v = 0). D touches only the last block, so the PF-ODE
// du/db = F u − ½ D s is exactly
//   du/db = A u − ½ D Σ_c⁻¹ Φ e_x x̂,   A(b) = F + ½ D Σ_c⁻¹.
// A's flow is Ξ(b', b) = R(b') R(b)⁻¹ for any R with R Rᵀ = Σ_c and
// dR/db = A R (= F R + ½ D R⁻ᵀ): then d(R Rᵀ)/db = FΣ + ΣFᵀ + D = dΣ_c/db.
// Written R = L W, W is orthogonal with dW/db = Ω W,
//   Ω = U − Uᵀ,   U = strictly-upper(L⁻¹ F L),
// because L⁻¹ (½ D Σ_c⁻¹) L = ½ D_KK / ℓ² e_K e_Kᵀ is diagonal and drops out.
// Integrating W (4th-order Magnus steps, geometric in b) keeps Ξ bounded where
// Φ(−Δb) would not be: that is what makes the frame usable for HOLD.
//
// Everything is K×K float64, computed once per time grid.
#include <vector>

#include "hold/sde/mat.h"

namespace hold {

class LinearSde;

class DataFrame {
 public:
  /// sigma0: the frame's initial covariance (diagonal, K×K).
  DataFrame(const LinearSde& sde, const Mat& sigma0);

  /// L(t): the lower-triangular factor of Σ_c at forward time t (square-root form).
  Mat factor(double t) const;

  /// Ω at the b-time b (skew-symmetric K×K); t names the time in messages.
  Mat rotation_rate(double b, double t) const;

  /// R = L W at each time of `times` (strictly monotone, all > 0 in b), with
  /// W = I at times.front(). `magnus_steps` Magnus steps in all, spread over
  /// the intervals in proportion to |log(b_{i+1} / b_i)|, at least one each.
  std::vector<Mat> factors(const std::vector<double>& times, int magnus_steps = 4096) const;

  /// The same at b-times (B(t) values, all > 0, strictly monotone); `t` names
  /// the run's time span in messages.
  std::vector<Mat> factors_at_b(const std::vector<double>& bs, int magnus_steps, double t) const;

  /// W = L⁻¹ R at each b-time of `bs` (W = I at bs.front()): the orthogonal
  /// part alone, for formulas that would otherwise invert an ill-conditioned R.
  std::vector<Mat> rotations_at_b(const std::vector<double>& bs, int magnus_steps, double t) const;

  /// L at the b-time b (t names the time in messages).
  Mat factor_at_b(double b, double t) const;

 private:
  /// W(b_to) W(b_from)⁻¹ over [b_from, b_to] in `steps` Magnus steps geometric in b.
  Mat rotation(double b_from, double b_to, int steps, double t) const;

  const LinearSde& sde_;
  Mat sigma0_;
};

/// Ξ = R_to R_from⁻¹, the flow of A from the time of r_from to that of r_to.
Mat frame_flow(const Mat& r_to, const Mat& r_from);

/// L⁻¹ B for lower-triangular L (forward substitution, column by column).
Mat solve_lower(const Mat& l, const Mat& b);

/// exp(m) for a small K×K matrix (Taylor series with scaling and squaring).
Mat small_expm(const Mat& m);

}  // namespace hold
