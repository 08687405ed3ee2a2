#include "models/eps_score_model.h"

#include <ATen/ATen.h>

#include "models/eps_network.h"
#include "sde/blocks.h"
#include "sde/linear_sde.h"

namespace hold {

EpsScoreModel::EpsScoreModel(std::shared_ptr<EpsNetwork> net, const LinearSde& sde,
                             const Mat& sigma0, bool mixed_score)
    : net_(std::move(net)), sde_(sde), sigma0_(sigma0), mixed_score_(mixed_score) {
  TORCH_CHECK(net_ != nullptr, "EpsScoreModel: no network");
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

const EpsScoreModel::Coefficients& EpsScoreModel::coefficients_at(double t) {
  if (cache_.t != t) {
    cache_.t = t;
    cache_.ell = ell(t);
    if (mixed_score_) cache_.gauss_row = gauss_precision_row(t);
  }
  return cache_;
}

at::Tensor EpsScoreModel::score(const at::Tensor& u, const at::Tensor& t) {
  const int64_t n = u.size(0);
  const int k = sde_.num_blocks();
  TORCH_CHECK(t.dim() == 1 && t.size(0) == n, "EpsScoreModel: t must be [N] with N = ", n);
  const auto t_host = t.to(at::kCPU, at::kDouble).contiguous();
  const double* tp = t_host.data_ptr<double>();
  bool same_t = true;
  for (int64_t i = 1; i < n && same_t; ++i) same_t = tp[i] == tp[0];

  // The network in its own dtype and device; the result back in u's.
  const auto param = net_->parameters().front();
  const auto eps = net_->forward(u.to(param.device(), param.scalar_type()),
                                 t.to(param.device(), param.scalar_type()))
                       .to(u.device(), u.scalar_type());

  if (same_t) {
    const Coefficients& c = coefficients_at(tp[0]);
    auto s = eps * (-1.0 / c.ell);
    if (!mixed_score_) return s;
    for (int j = 0; j < k; ++j) {
      if (c.gauss_row[j] != 0.0) s = s - block(u, k, j) * c.gauss_row[j];
    }
    return s;
  }

  // Per-sample times (rare: callers other than the samplers): coefficients
  // per sample on the host, applied with broadcasting.
  auto inv_ell = at::empty({n}, at::kDouble);
  auto rows = at::zeros({n, k}, at::kDouble);
  double* inv_ell_p = inv_ell.data_ptr<double>();
  double* rows_p = rows.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {
    const Coefficients& c = coefficients_at(tp[i]);
    inv_ell_p[i] = 1.0 / c.ell;
    for (int j = 0; j < k && mixed_score_; ++j) rows_p[i * k + j] = c.gauss_row[j];
  }
  std::vector<int64_t> bshape(u.dim(), 1);
  bshape[0] = n;
  auto s = eps * inv_ell.to(u.device(), u.scalar_type()).view(bshape).neg();
  if (!mixed_score_) return s;
  const auto r = rows.to(u.device(), u.scalar_type());
  for (int j = 0; j < k; ++j) s = s - block(u, k, j) * r.select(1, j).view(bshape);
  return s;
}

}  // namespace hold
