#include "hold/sde/linear_sde.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "hold/core/error.h"
#include "hold/sde/blocks.h"

namespace hold {
namespace {

void check_noise_in_last_block(const SdeSpec& s) {
  const int k = s.drift.rows();
  if (s.drift.cols() != k || s.diffusion.rows() != k || s.diffusion.cols() != k) {
    throw std::invalid_argument("LinearSde " + s.name + ": F and D must both be K×K");
  }
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) {
      const bool last = (i == k - 1 && j == k - 1);
      if (last ? !(s.diffusion(i, j) > 0) : s.diffusion(i, j) != 0.0) {
        throw std::invalid_argument("LinearSde " + s.name +
                                    ": D must be zero except a positive D_KK (noise in the last block)");
      }
    }
}

}  // namespace

LinearSde::LinearSde(SdeSpec spec) : spec_(std::move(spec)) {
  check_noise_in_last_block(spec_);
  const int k = num_blocks();
  if (has_stationary_law()) {
    if (!try_solve_lyapunov(spec_.drift, spec_.diffusion, &prior_cov_) || !try_cholesky(prior_cov_, &prior_chol_)) {
      fail("has no positive definite stationary covariance (is F stable?)", INFINITY, spec_.drift);
    }
  } else {
    prior_cov_ = Mat::identity(k) * spec_.ve_prior_var;
    try_cholesky(prior_cov_, &prior_chol_);
  }
  try_inverse(prior_cov_, &prior_precision_);
  forward_ = LinearKernel(spec_.drift, spec_.diffusion, big_b(spec_.t_max));
  if (has_stationary_law()) {
    split_drift_ = (spec_.drift * -1.0) - spec_.diffusion * prior_precision_;
    split_ = LinearKernel(split_drift_, spec_.diffusion);
  }
}

void LinearSde::fail(const std::string& what, double t, const Mat& m) const {
  std::ostringstream os;
  os.precision(17);
  os << "SDE '" << spec_.name << "' " << what << " (t=" << t << ", matrix " << m.to_string(17) << ")";
  throw NumericalError(os.str());
}

double LinearSde::g2(double t) const {
  const int k = num_blocks() - 1;
  double g2 = beta(t) * spec_.diffusion(k, k);
  if (spec_.subvp) g2 *= -std::expm1(-2.0 * big_b(t));
  return g2;
}

Kernel LinearSde::kernel_at_b(double b) const {
  if (spec_.subvp) {
    // sub-VP has no time-change form; its closed forms (math.md §2).
    Mat phi(1, 1), q(1, 1);
    phi(0, 0) = std::exp(-0.5 * b);
    const double one_minus = -std::expm1(-b);
    q(0, 0) = one_minus * one_minus;
    return {phi, q};
  }
  return forward_.at(b);
}

Kernel LinearSde::kernel(double t) const { return kernel_at_b(big_b(t)); }

const Mat& LinearSde::split_drift() const {
  if (!has_stationary_law() || spec_.subvp) {
    throw std::logic_error("SDE '" + spec_.name + "' has no splitting drift (needs a stationary law and constant D)");
  }
  return split_drift_;
}

Kernel LinearSde::split_kernel(double t_hi, double t_lo) const {
  split_drift();  // throws where the splitting does not exist
  return split_.at(delta_b(t_lo, t_hi));
}

Mat LinearSde::initial_cov(const std::vector<int>& given) const {
  const int k = num_blocks();
  Mat sigma0(k, k);
  for (int i = 1; i < k; ++i) {
    if (std::find(given.begin(), given.end(), i) == given.end()) {
      sigma0(i, i) = spec_.eps * prior_cov_(i, i);
    }
  }
  return sigma0;
}

Mat LinearSde::marginal_cov(double t, const Mat& sigma0) const {
  const Kernel kern = kernel(t);
  return congruence(kern.phi, sigma0) + kern.q;
}

Mat LinearSde::marginal_factor(double t, const Mat& sigma0) const { return marginal_factor(kernel(t), t, sigma0); }

Mat LinearSde::marginal_factor(const Kernel& kern, double t, const Mat& sigma0) const {
  // Σ_t = A Aᵀ with A = [Φ Σ₀^½ | chol(Q)]; Σ₀ is diagonal by construction.
  const int k = num_blocks();
  Mat sqrt_sigma0(k, k);
  for (int i = 0; i < k; ++i) {
    if (sigma0(i, i) < 0) fail("has a negative initial variance", t, sigma0);
    sqrt_sigma0(i, i) = std::sqrt(sigma0(i, i));
  }
  Mat q_chol;
  if (!try_cholesky(kern.q, &q_chol)) fail("kernel covariance Q is not positive definite", t, kern.q);
  Mat l = lower_factor_of_sum(kern.phi * sqrt_sigma0, q_chol);
  if (!(l(k - 1, k - 1) > 0) || !std::isfinite(l(k - 1, k - 1))) {
    fail("marginal covariance factor is singular in the noisy block", t, l);
  }
  return l;
}

double LinearSde::ell(double t, const Mat& sigma0) const {
  const int k = num_blocks();
  return marginal_factor(t, sigma0)(k - 1, k - 1);
}

at::Tensor LinearSde::prior_sample(at::IntArrayRef state_shape, at::Generator gen, at::ScalarType dtype) const {
  auto z = at::normal(0.0, 1.0, state_shape, gen, at::TensorOptions().dtype(dtype).device(gen.device()));
  return apply_blockwise(prior_chol_, z);
}

at::Tensor LinearSde::prior_log_prob(const at::Tensor& u) const {
  const int64_t k = num_blocks();
  auto u64 = u.to(at::kDouble);
  auto u3 = u64.reshape({u.size(0), k, -1});
  const int64_t d = u3.size(2);
  auto quad = (u3 * at::matmul(to_tensor(prior_precision_), u3)).sum({1, 2});
  double logdet = 0.0;
  for (int i = 0; i < k; ++i) logdet += 2.0 * std::log(prior_chol_(i, i));
  const double norm = 0.5 * d * (k * std::log(2.0 * M_PI) + logdet);
  return -0.5 * quad - norm;
}

PriorMismatch LinearSde::prior_mismatch() const {
  PriorMismatch m;
  if (!has_stationary_law()) {
    m.applicable = false;
    return m;
  }
  const Kernel kern = kernel(spec_.t_max);
  m.phi_max = kern.phi.max_abs();
  m.cov_err = (marginal_cov(spec_.t_max, default_initial_cov()) - prior_cov_).max_abs();
  return m;
}

}  // namespace hold
