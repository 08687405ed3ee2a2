#pragma once
// The Fréchet distance between two Gaussians, the number FID reports for the
// Inception features of two image sets (Heusel et al. 2017):
//   d² = |μ₁ − μ₂|² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}.
// Computed in float64 with symmetric square roots from eigendecompositions
// (negative eigenvalues of the PSD matrices, rounding noise, are clamped to
// 0), so near-singular and rank-deficient covariances give a finite number
// where scipy.linalg.sqrtm's Schur route can return complex values or NaN.
#include <ATen/core/Tensor.h>

namespace hold {

/// Mean [D] and covariance [D, D] (divided by N − 1, as numpy.cov) of
/// features [N, D], in float64.
struct FeatureStats {
  at::Tensor mu;
  at::Tensor sigma;
};
FeatureStats feature_stats(const at::Tensor& features);

/// d² above (not its square root, as FID). mu: [D]; sigma: [D, D] symmetric PSD.
double frechet_distance(const at::Tensor& mu1, const at::Tensor& sigma1, const at::Tensor& mu2,
                        const at::Tensor& sigma2);
inline double frechet_distance(const FeatureStats& a, const FeatureStats& b) {
  return frechet_distance(a.mu, a.sigma, b.mu, b.sigma);
}

}  // namespace hold
