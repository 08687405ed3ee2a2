#pragma once
// LinearKernel: the exact transition of du = A u db + G dW (D = G Gᵀ) over a
// b-interval of length b (math.md §1):
//   Φ(b) = exp(bA),   Q(b) = ∫₀ᵇ exp(sA) D exp(sA)ᵀ ds.
// Computed by scaling and squaring on the pair (Φ, Q) with a Taylor series at
// the scaled b, never by the one-shot Van Loan exponential (math.md §1 says why).
//
// Speed: the Taylor coefficients Aⁿ/n! and M_n/(n+1)! (M₀ = D, M_{n+1} = A M_n +
// M_n Aᵀ) do not depend on b and are computed once, so a Taylor evaluation is
// a few scaled additions of K×K matrices. For the many per-sample times of a
// training batch, an optional table of anchors Φ(jΔ), Q(jΔ) (each computed by
// scaling and squaring) turns kernel(b) into one Taylor step from the nearest
// anchor below: Φ(jΔ+δ) = Φ(δ)Φ(jΔ), Q(jΔ+δ) = Q(δ) + Φ(δ) Q(jΔ) Φ(δ)ᵀ — the
// semigroup law, exact up to rounding.
#include <vector>

#include "hold/sde/mat.h"

namespace hold {

/// The pair (Φ, Q) of a Gaussian transition u_b = Φ u_0 + N(0, Q).
struct Kernel {
  Mat phi;
  Mat q;
};

class LinearKernel {
 public:
  LinearKernel() = default;
  /// a: drift matrix A (K×K); d: diffusion matrix D = GGᵀ (K×K, PSD).
  /// table_b_max > 0 precomputes anchors covering b ∈ [0, table_b_max].
  LinearKernel(const Mat& a, const Mat& d, double table_b_max = 0.0);

  /// Φ(b), Q(b) for b ≥ 0 (Q symmetric).
  Kernel at(double b) const;
  /// The same by scaling and squaring alone (no table); the reference path.
  Kernel by_scaling_and_squaring(double b) const;

  const Mat& drift() const { return a_; }
  const Mat& diffusion() const { return d_; }

 private:
  /// Taylor series at b0 with b0‖A‖₁ ≤ kTaylorRadius.
  Kernel taylor(double b0) const;

  Mat a_, d_;
  double a_norm_ = 0.0;
  // Taylor coefficients packed row-major, term n at [n·K², (n+1)·K²), so that
  // the Horner loop runs over contiguous doubles (one fused loop, no Mat
  // temporaries: this is the per-sample cost of every training step).
  std::vector<double> phi_terms_;  // Aⁿ/n!
  std::vector<double> q_terms_;    // M_n/(n+1)!
  double spacing_ = 0.0;           // anchor spacing Δ (0: no table)
  // Anchors Φ(jΔ), Q(jΔ) packed as 2·K² doubles each (Φ then Q, row-major):
  // compact enough to stay in cache while a batch draws random times.
  std::vector<double> anchors_;
  size_t num_anchors_ = 0;
};

}  // namespace hold
