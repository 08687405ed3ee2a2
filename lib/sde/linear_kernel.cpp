#include "hold/sde/linear_kernel.h"

#include <cmath>
#include <cstddef>
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

LinearKernel::LinearKernel(const Mat& a, const Mat& d, double table_b_max) : a_(a), d_(d), a_norm_(a.norm1()) {
  const int k = a.rows();
  Mat a_pow = Mat::identity(k);
  Mat m = d;
  double fact = 1.0;  // n!
  for (int n = 0; n <= kTaylorTerms; ++n) {
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j) {
        phi_terms_.push_back(a_pow(i, j) / fact);
        q_terms_.push_back(m(i, j) / (fact * (n + 1)));
      }
    a_pow = a * a_pow;
    m = a * m + m * a.transpose();
    fact *= (n + 1);
  }
  if (table_b_max > 0.0 && a_norm_ > 0.0) {
    spacing_ = kTaylorRadius / a_norm_;
    const double count = std::ceil(table_b_max / spacing_) + 1;
    if (count <= kMaxAnchors) {
      num_anchors_ = static_cast<size_t>(count);
      anchors_.reserve(num_anchors_ * 2 * k * k);
      for (size_t j = 0; j < num_anchors_; ++j) {
        const Kernel anchor = by_scaling_and_squaring(static_cast<double>(j) * spacing_);
        for (const Mat* m : {&anchor.phi, &anchor.q})
          for (int r = 0; r < k; ++r)
            for (int c = 0; c < k; ++c) anchors_.push_back((*m)(r, c));
      }
    } else {
      spacing_ = 0.0;
    }
  }
}

Kernel LinearKernel::taylor(double b0) const {
  // Horner in b0 over the precomputed coefficients, all K² entries at once.
  const int k = a_.rows();
  const ptrdiff_t kk = static_cast<ptrdiff_t>(k) * k;
  double phi[kMaxBlocks * kMaxBlocks], q[kMaxBlocks * kMaxBlocks];
  const double* pt = phi_terms_.data() + kTaylorTerms * kk;
  const double* qt = q_terms_.data() + kTaylorTerms * kk;
  for (int e = 0; e < kk; ++e) {
    phi[e] = pt[e];
    q[e] = qt[e];
  }
  for (int n = kTaylorTerms - 1; n >= 0; --n) {
    pt = phi_terms_.data() + n * kk;
    qt = q_terms_.data() + n * kk;
    for (int e = 0; e < kk; ++e) {
      phi[e] = phi[e] * b0 + pt[e];
      q[e] = q[e] * b0 + qt[e];
    }
  }
  Kernel out{Mat(k, k), Mat(k, k)};
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) {
      out.phi(i, j) = phi[i * k + j];
      out.q(i, j) = 0.5 * ((q[i * k + j] * b0) + (q[j * k + i] * b0));
    }
  return out;
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
    if (jf < static_cast<double>(num_anchors_)) {
      const size_t j = static_cast<size_t>(jf);
      const Kernel step = taylor(b - static_cast<double>(j) * spacing_);
      if (j == 0) return step;
      // Φ = Φδ Φa, Q = Qδ + Φδ Qa Φδᵀ (symmetrised), in plain loops: no Mat temporaries.
      const int k = a_.rows();
      const double* anchor_phi = anchors_.data() + j * 2 * k * k;  // Φa(r, c) = anchor_phi[r·K + c]
      const double* anchor_q = anchor_phi + static_cast<ptrdiff_t>(k) * k;
      Kernel out{Mat(k, k), Mat(k, k)};
      double w[kMaxBlocks][kMaxBlocks];  // Φδ Qa
      for (int r = 0; r < k; ++r)
        for (int c = 0; c < k; ++c) {
          double phi = 0.0, pq = 0.0;
          for (int m = 0; m < k; ++m) {
            phi += step.phi(r, m) * anchor_phi[m * k + c];
            pq += step.phi(r, m) * anchor_q[m * k + c];
          }
          out.phi(r, c) = phi;
          w[r][c] = pq;
        }
      for (int r = 0; r < k; ++r)
        for (int c = 0; c <= r; ++c) {
          double a = 0.0, b = 0.0;  // (Φδ Qa Φδᵀ)_rc and _cr
          for (int m = 0; m < k; ++m) {
            a += w[r][m] * step.phi(c, m);
            b += w[c][m] * step.phi(r, m);
          }
          const double v = 0.5 * ((step.q(r, c) + a) + (step.q(c, r) + b));
          out.q(r, c) = v;
          out.q(c, r) = v;
        }
      return out;
    }
  }
  return by_scaling_and_squaring(b);
}

}  // namespace hold
