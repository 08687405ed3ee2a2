#include "hold/models/eps_score_model.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "hold/models/eps_network.h"
#include "hold/sde/blocks.h"
#include "hold/sde/data_frame.h"
#include "hold/sde/linear_sde.h"

namespace hold {

EpsScoreModel::EpsScoreModel(std::shared_ptr<EpsNetwork> net, const LinearSde& sde, const Mat& sigma0, bool mixed_score,
                             bool all_blocks)
    : net_(std::move(net)), sde_(sde), sigma0_(sigma0), mixed_score_(mixed_score), all_blocks_(all_blocks) {
  TORCH_CHECK(net_ != nullptr, "EpsScoreModel: no network");
  const auto params = net_->parameters();
  TORCH_CHECK(!params.empty(), "EpsScoreModel: the network has no parameters");
  probe_ = params.front();
  gauss_sigma0_ = sde_.default_initial_cov();
  gauss_sigma0_(0, 0) = 1.0;
}

double EpsScoreModel::ell(double t) const { return sde_.ell(t, sigma0_); }

std::vector<double> EpsScoreModel::gauss_precision_row(double t) const {
  // Σᵍ_t is well conditioned (data variance 1, aux variance εΣ∞_kk > 0 or the
  // kernel's own Q), so a plain inverse is accurate here.
  const Mat cov = sde_.marginal_cov(t, gauss_sigma0_);
  Mat precision;
  if (!try_inverse(cov, &precision)) sde_.fail("mixed-score covariance is singular", t, cov);
  const int k = sde_.num_blocks();
  std::vector<double> row(k);
  for (int j = 0; j < k; ++j) row[j] = precision(k - 1, j);
  return row;
}

EpsScoreModel::Coefficients EpsScoreModel::coefficients(double t) const {
  Coefficients c;
  c.t = t;
  c.ell = ell(t);
  if (mixed_score_) c.gauss_row = gauss_precision_row(t);
  if (all_blocks_) {
    c.factor = sde_.marginal_factor(t, sigma0_);
    if (mixed_score_ && !try_inverse(sde_.marginal_cov(t, gauss_sigma0_), &c.precision)) {
      sde_.fail("mixed-score covariance is singular", t, sde_.marginal_cov(t, gauss_sigma0_));
    }
  }
  return c;
}

const EpsScoreModel::Coefficients& EpsScoreModel::coefficients_at(double t) {
  if (cache_.t != t) cache_ = coefficients(t);
  return cache_;
}

at::Tensor EpsScoreModel::network_eps(const at::Tensor& u, const at::Tensor& t, const at::Tensor& labels) {
  // Host-to-device copies are non-blocking: the host never waits for the queue.
  const at::Tensor u_net = u.to(probe_.device(), probe_.scalar_type(), /*non_blocking=*/true);
  const at::Tensor t_net = t.to(probe_.scalar_type()).to(probe_.device(), /*non_blocking=*/true);
  const at::Tensor eps = labels.defined() ? net_->forward_labelled(u_net, t_net, labels) : net_->forward(u_net, t_net);
  return eps.to(u.device(), u.scalar_type());
}

int64_t EpsScoreModel::num_classes() const { return net_->num_classes(); }

EpsScoreModel::BatchCoefficients EpsScoreModel::batch_coefficients(const at::Tensor& u, const at::Tensor& t) {
  const int64_t n = u.size(0);
  const int k = sde_.num_blocks();
  TORCH_CHECK(t.dim() == 1 && t.size(0) == n, "EpsScoreModel: t must be [N] with N = ", n);
  const auto t_host = t.to(at::kCPU, at::kDouble).contiguous();
  const double* tp = t_host.data_ptr<double>();
  bool same_t = true;
  for (int64_t i = 1; i < n && same_t; ++i) same_t = tp[i] == tp[0];
  BatchCoefficients c;
  if (same_t) {
    c.same = &coefficients_at(tp[0]);
    return c;
  }
  // Per-sample times (training, or callers other than the samplers): the
  // coefficients per sample on the host, applied with broadcasting.
  auto ell = at::empty({n}, at::kDouble);
  auto rows = at::zeros({n, k}, at::kDouble);
  double* ell_p = ell.data_ptr<double>();
  double* rows_p = rows.data_ptr<double>();
  at::parallel_for(0, n, /*grain_size=*/128, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const Coefficients ci = coefficients(tp[i]);
      ell_p[i] = ci.ell;
      for (int j = 0; j < k && mixed_score_; ++j) rows_p[i * k + j] = ci.gauss_row[j];
    }
  });
  std::vector<int64_t> shape(u.dim(), 1);
  shape[0] = n;
  c.ell = ell.to(u.scalar_type()).to(u.device(), /*non_blocking=*/true).view(shape);
  if (mixed_score_) c.rows = rows.to(u.scalar_type()).to(u.device(), /*non_blocking=*/true);
  return c;
}

at::Tensor EpsScoreModel::gauss_term(const at::Tensor& u, const BatchCoefficients& c) const {
  const int k = sde_.num_blocks();
  at::Tensor sum;
  for (int j = 0; j < k; ++j) {
    at::Tensor term;
    if (c.same != nullptr) {
      if (c.same->gauss_row[j] == 0.0) continue;
      term = block(u, k, j) * c.same->gauss_row[j];
    } else {
      term = block(u, k, j) * c.rows.select(1, j).view(c.ell.sizes());
    }
    sum = sum.defined() ? sum + term : term;
  }
  return sum.defined() ? sum : at::zeros_like(block(u, k, 0));
}

at::Tensor EpsScoreModel::apply_at_times(const at::Tensor& v, const at::Tensor& t,
                                         Mat (*matrix_of)(const Coefficients&)) {
  const int64_t n = v.size(0);
  const auto t_host = t.to(at::kCPU, at::kDouble).contiguous();
  const double* tp = t_host.data_ptr<double>();
  bool same_t = true;
  for (int64_t i = 1; i < n && same_t; ++i) same_t = tp[i] == tp[0];
  if (same_t) return apply_blockwise(matrix_of(coefficients_at(tp[0])), v);
  const int k = sde_.num_blocks();
  auto m = at::empty({n, k, k}, at::kDouble);
  double* mp = m.data_ptr<double>();
  at::parallel_for(0, n, /*grain_size=*/128, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const Mat mi = matrix_of(coefficients(tp[i]));
      for (int r = 0; r < k; ++r)
        for (int c = 0; c < k; ++c) mp[(i * k + r) * k + c] = mi(r, c);
    }
  });
  return apply_blockwise_batched(m.to(v.scalar_type()).to(v.device(), /*non_blocking=*/true), v);
}

at::Tensor EpsScoreModel::predict_eps(const at::Tensor& u, const at::Tensor& t, const at::Tensor& labels) {
  auto eps = network_eps(u, t, labels);
  if (!mixed_score_) return eps;
  if (all_blocks_) {
    // ε_θ − L_tᵀ s_gauss = ε_θ + L_tᵀ (Σᵍ_t)⁻¹ u.
    return eps + apply_at_times(u, t, [](const Coefficients& c) { return Mat(c.factor.transpose() * c.precision); });
  }
  // ε_θ − ℓ_t s_gauss = ε_θ + ℓ_t Σ_j row_j u_j.
  const BatchCoefficients c = batch_coefficients(u, t);
  const auto g = gauss_term(u, c);
  return c.same != nullptr ? eps + g * c.same->ell : eps + g * c.ell;
}

at::Tensor EpsScoreModel::score(const at::Tensor& u, const at::Tensor& t) { return score(u, t, {}); }

at::Tensor EpsScoreModel::score(const at::Tensor& u, const at::Tensor& t, const at::Tensor& labels) {
  const BatchCoefficients c = batch_coefficients(u, t);
  auto eps = network_eps(u, t, labels);
  if (all_blocks_) eps = last_block(eps, sde_.num_blocks());
  // s = −ε_θ/ℓ_t (+ s_gauss = −Σ_j row_j u_j when mixed).
  at::Tensor s = c.same != nullptr ? eps * (-1.0 / c.same->ell) : -eps / c.ell;
  if (mixed_score_) s = s - gauss_term(u, c);
  return s;
}

at::Tensor EpsScoreModel::full_score(const at::Tensor& u, const at::Tensor& t) { return full_score(u, t, {}); }

at::Tensor EpsScoreModel::full_score(const at::Tensor& u, const at::Tensor& t, const at::Tensor& labels) {
  if (!all_blocks_) return ScoreModel::full_score(u, t);
  // −L⁻ᵀ ε_θ by forward substitution (L is ill-conditioned near the data).
  auto s = apply_at_times(network_eps(u, t, labels), t, [](const Coefficients& c) {
    return Mat(solve_lower(c.factor, Mat::identity(c.factor.rows())).transpose() * -1.0);
  });
  if (mixed_score_) s = s - apply_at_times(u, t, [](const Coefficients& c) { return c.precision; });
  return s;
}

}  // namespace hold
