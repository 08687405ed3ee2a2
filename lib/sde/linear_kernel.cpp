#include "sde/linear_kernel.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace hold {
namespace {

// The Taylor series is evaluated where b‖A‖₁ ≤ 0.05 (math.md §1); 18 terms
// leave a truncation error below 0.05^19/19! ≈ 1e-42 relative.
constexpr double kTaylorRadius = 0.05;
constexpr int kTaylorTerms = 18;
// The anchor table is only worth building up to this many entries.
constexpr double kMaxAnchors = 200000;

}  // namespace

LinearKernel::LinearKernel(const Mat& a, const Mat& d, double table_b_max)
    : a_(a), d_(d), a_norm_(a.norm1()) {
  const int k = a.rows();
  Mat a_pow = Mat::identity(k);
  Mat m = d;
  double fact = 1.0;  // n!
  for (int n = 0; n <= kTaylorTerms; ++n) {
    phi_terms_.push_back(a_pow * (1.0 / fact));
    q_terms_.push_back(m * (1.0 / (fact * (n + 1))));
    a_pow = a * a_pow;
    m = a * m + m * a.transpose();
    fact *= (n + 1);
  }
  if (table_b_max > 0.0 && a_norm_ > 0.0) {
    spacing_ = kTaylorRadius / a_norm_;
    const double count = std::ceil(table_b_max / spacing_) + 1;
    if (count <= kMaxAnchors) {
      anchors_.reserve(static_cast<size_t>(count));
      for (int j = 0; j < count; ++j) anchors_.push_back(by_scaling_and_squaring(j * spacing_));
    } else {
      spacing_ = 0.0;
    }
  }
}

Kernel LinearKernel::taylor(double b0) const {
  // Horner in b0 over the precomputed coefficient matrices.
  const int k = a_.rows();
  Mat phi(k, k), q(k, k);
  for (int n = kTaylorTerms; n >= 0; --n) {
    phi *= b0;
    phi += phi_terms_[n];
    q *= b0;
    q += q_terms_[n];
  }
  q *= b0;
  return {phi, q.symmetrized()};
}

Kernel LinearKernel::by_scaling_and_squaring(double b) const {
  if (!(b >= 0.0) || !std::isfinite(b)) {
    throw std::invalid_argument("LinearKernel: b must be finite and >= 0, got " + std::to_string(b));
  }
  int s = 0;
  if (a_norm_ > 0.0 && b * a_norm_ > kTaylorRadius) {
    s = static_cast<int>(std::ceil(std::log2(b * a_norm_ / kTaylorRadius)));
  }
  Kernel kern = taylor(std::ldexp(b, -s));
  for (int i = 0; i < s; ++i) {
    // Doubling: Q(2b) = Q(b) + Φ(b) Q(b) Φ(b)ᵀ, Φ(2b) = Φ(b)².
    kern.q = (kern.q + kern.phi * kern.q * kern.phi.transpose()).symmetrized();
    kern.phi = kern.phi * kern.phi;
  }
  return kern;
}

Kernel LinearKernel::at(double b) const {
  if (spacing_ > 0.0 && b >= 0.0) {
    const double jf = std::floor(b / spacing_);
    if (jf < static_cast<double>(anchors_.size())) {
      const size_t j = static_cast<size_t>(jf);
      const Kernel step = taylor(b - static_cast<double>(j) * spacing_);
      if (j == 0) return step;
      const Kernel& anchor = anchors_[j];
      return {step.phi * anchor.phi, (step.q + step.phi * anchor.q * step.phi.transpose()).symmetrized()};
    }
  }
  return by_scaling_and_squaring(b);
}

}  // namespace hold
