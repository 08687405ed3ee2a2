#pragma once
// The scalar time change β(t) and its integral B(t) = ∫₀ᵗ β(s) ds (math.md §1–2).
// Everything the engine computes depends on t only through b = B(t).
namespace hold {

enum class ScheduleKind {
  kConstant,     ///< β(t) = beta0 (cld, hold)
  kLinear,       ///< β(t) = beta0 + t (beta1 − beta0) (vp, subvp)
  kVeGeometric,  ///< σ(t) = sigma_min (sigma_max/sigma_min)^t, β = dσ²/dt (ve)
};

struct BetaSchedule {
  ScheduleKind kind = ScheduleKind::kConstant;
  double beta0 = 1.0;  ///< constant β, or β at t = 0
  double beta1 = 1.0;  ///< β at t = 1 (linear)
  double sigma_min = 0.01;
  double sigma_max = 50.0;

  double beta(double t) const;
  /// B(t) = ∫₀ᵗ β; for ve this is σ(t)² − σ_min².
  double big_b(double t) const;
  /// B(t_hi) − B(t_lo), computed without cancellation where it matters.
  double delta_b(double t_lo, double t_hi) const;
};

}  // namespace hold
