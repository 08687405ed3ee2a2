#include "hold/sde/data_frame.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "hold/core/error.h"
#include "hold/sde/linear_sde.h"

namespace hold {
DataFrame::DataFrame(const LinearSde& sde, const Mat& sigma0) : sde_(sde), sigma0_(sigma0) {}

Mat DataFrame::factor(double t) const { return factor_at_b(sde_.big_b(t), t); }

Mat DataFrame::rotation_rate(double b, double t) const {
  const Mat l = factor_at_b(b, t);
  const Mat m = solve_lower(l, sde_.drift() * l);
  const int k = m.rows();
  Mat omega(k, k);
  for (int i = 0; i < k; ++i) {
    for (int j = i + 1; j < k; ++j) {
      omega(i, j) = m(i, j);
      omega(j, i) = -m(i, j);
    }
  }
  return omega;
}

Mat DataFrame::rotation(double b_from, double b_to, int steps, double t) const {
  const int k = sde_.num_blocks();
  Mat w = Mat::identity(k);
  if (k == 1) return w;  // Ω = 0
  // Magnus's 4th-order step with two Gauss–Legendre nodes:
  // exp(h/2 (Ω₁ + Ω₂) + √3/12 h² [Ω₂, Ω₁]). Steps are geometric in b because
  // Ω grows like 1/b near the data.
  const double c1 = 0.5 - std::sqrt(3.0) / 6.0, c2 = 0.5 + std::sqrt(3.0) / 6.0;
  const double log_from = std::log(b_from), log_ratio = std::log(b_to / b_from);
  double p = b_from;
  for (int n = 1; n <= steps; ++n) {
    const double q = n == steps ? b_to : std::exp(log_from + log_ratio * n / steps);
    const double h = q - p;
    const Mat o1 = rotation_rate(p + c1 * h, t), o2 = rotation_rate(p + c2 * h, t);
    const Mat exponent = (0.5 * h) * (o1 + o2) + (std::sqrt(3.0) / 12.0 * h * h) * (o2 * o1 - o1 * o2);
    w = small_expm(exponent) * w;
    p = q;
  }
  return w;
}

std::vector<Mat> DataFrame::factors(const std::vector<double>& times, int magnus_steps) const {
  std::vector<double> bs;
  bs.reserve(times.size());
  for (double t : times) bs.push_back(sde_.big_b(t));
  return factors_at_b(bs, magnus_steps, times.empty() ? 0.0 : times.back());
}

Mat DataFrame::factor_at_b(double b, double t) const { return sde_.marginal_factor(sde_.kernel_at_b(b), t, sigma0_); }

std::vector<Mat> DataFrame::factors_at_b(const std::vector<double>& bs, int magnus_steps, double t) const {
  std::vector<Mat> r = rotations_at_b(bs, magnus_steps, t);
  for (size_t i = 0; i < r.size(); ++i) r[i] = factor_at_b(bs[i], t) * r[i];
  return r;
}

std::vector<Mat> DataFrame::rotations_at_b(const std::vector<double>& bs, int magnus_steps, double t) const {
  if (bs.empty()) return {};
  double total = 0.0;
  for (size_t i = 0; i < bs.size(); ++i) {
    if (!(bs[i] > 0) || !std::isfinite(bs[i])) {
      throw UsageError("the data frame needs times with B(t) > 0, got B = " + std::to_string(bs[i]));
    }
    if (i == 0) continue;
    if (!((bs[i] - bs[i - 1]) * (bs.back() - bs.front()) > 0)) {
      throw UsageError("the data frame needs strictly monotone times");
    }
    total += std::abs(std::log(bs[i] / bs[i - 1]));
  }
  std::vector<Mat> out;
  out.reserve(bs.size());
  out.push_back(Mat::identity(sde_.num_blocks()));
  for (size_t i = 0; i + 1 < bs.size(); ++i) {
    const double share = std::abs(std::log(bs[i + 1] / bs[i])) / total;
    const int steps = std::max(1, static_cast<int>(std::ceil(magnus_steps * share)));
    out.push_back(rotation(bs[i], bs[i + 1], steps, t) * out.back());
  }
  return out;
}

Mat solve_lower(const Mat& l, const Mat& b) {
  const int n = l.rows();
  Mat x(n, b.cols());
  for (int c = 0; c < b.cols(); ++c) {
    for (int i = 0; i < n; ++i) {
      double v = b(i, c);
      for (int j = 0; j < i; ++j) v -= l(i, j) * x(j, c);
      x(i, c) = v / l(i, i);
    }
  }
  return x;
}

Mat frame_flow(const Mat& r_to, const Mat& r_from) {
  Mat inverse;
  if (!try_inverse(r_from, &inverse)) throw NumericalError("data frame: the factor R is singular");
  return r_to * inverse;
}

Mat small_expm(const Mat& m) {
  const int n = m.rows();
  double norm = 0.0;  // ‖m‖₁
  for (int j = 0; j < n; ++j) {
    double col = 0.0;
    for (int i = 0; i < n; ++i) col += std::abs(m(i, j));
    norm = std::max(norm, col);
  }
  int squarings = 0;
  while (norm > 0.05) {
    norm *= 0.5;
    ++squarings;
  }
  const Mat scaled = m * std::ldexp(1.0, -squarings);
  // 0.05¹⁴ / 14! ≈ 1e-29: 13 Taylor terms are exact to rounding.
  Mat result = Mat::identity(n), term = Mat::identity(n);
  for (int k = 1; k <= 13; ++k) {
    term = term * scaled * (1.0 / k);
    result += term;
  }
  for (int s = 0; s < squarings; ++s) result = result * result;
  return result;
}

}  // namespace hold
