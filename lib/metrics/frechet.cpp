#include "hold/metrics/frechet.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <sstream>

#include "hold/core/error.h"

namespace hold {
namespace {

/// The PSD square root of a symmetric matrix (eigenvalues clamped at 0).
at::Tensor psd_sqrt(const at::Tensor& m) {
  const auto [values, vectors] = at::linalg_eigh(0.5 * (m + m.t()));
  return at::matmul(vectors * values.clamp_min(0).sqrt().unsqueeze(0), vectors.t());
}

void check_shapes(const at::Tensor& mu, const at::Tensor& sigma, int64_t d) {
  if (mu.dim() != 1 || mu.size(0) != d || sigma.dim() != 2 || sigma.size(0) != d || sigma.size(1) != d) {
    std::ostringstream os;
    os << "Fréchet distance needs mu [D] and sigma [D, D] of one D, got " << mu.sizes() << " and " << sigma.sizes();
    throw UsageError(os.str());
  }
}

}  // namespace

FeatureStats feature_stats(const at::Tensor& features) {
  if (features.dim() != 2 || features.size(0) < 2) {
    throw UsageError("feature statistics need features [N, D] with N >= 2");
  }
  const auto f = features.to(at::kDouble);
  const auto mu = f.mean(0);
  const auto centred = f - mu;
  return {mu, at::matmul(centred.t(), centred) / static_cast<double>(f.size(0) - 1)};
}

double frechet_distance(const at::Tensor& mu1, const at::Tensor& sigma1, const at::Tensor& mu2,
                        const at::Tensor& sigma2) {
  const int64_t d = mu1.numel();
  check_shapes(mu1, sigma1, d);
  check_shapes(mu2, sigma2, d);
  const auto m1 = mu1.to(at::kDouble), m2 = mu2.to(at::kDouble);
  const auto s1 = sigma1.to(at::kDouble), s2 = sigma2.to(at::kDouble);
  // tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}: the middle matrix is symmetric PSD.
  const auto root1 = psd_sqrt(s1);
  const auto middle = at::matmul(at::matmul(root1, s2), root1);
  const auto eig = at::linalg_eigvalsh(0.5 * (middle + middle.t()));
  const double cross = eig.clamp_min(0).sqrt().sum().item<double>();
  const double mean_term = (m1 - m2).square().sum().item<double>();
  const double d2 = mean_term + s1.trace().item<double>() + s2.trace().item<double>() - 2.0 * cross;
  return std::max(d2, 0.0);
}

}  // namespace hold
