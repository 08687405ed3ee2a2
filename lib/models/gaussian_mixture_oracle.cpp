#include "hold/models/gaussian_mixture_oracle.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <vector>

#include "hold/sde/linear_sde.h"

namespace hold {

// The log-density of component j is a quadratic in the state, coordinate by
// coordinate:  Σ_i [−½ u_iᵀ P_ji u_i + (P_ji μ_ji)ᵀ u_i] + const_j  with
// P_ji = Σ_ji⁻¹. So with the features  φ(u) = [u_ki u_li (all k, l, i) | u_ki | 1]
// all J logits are one product φ(u) · W, and the score's pieces are two more:
//   s_i = Σ_j r_j (P_ji μ_ji)_K − Σ_l u_li Σ_j r_j (P_ji)_{K,l}.
// This keeps a call at a dozen small tensor ops however many components.
struct GaussianMixtureOracle::Coefficients {
  at::Tensor weight;    ///< [G, F, J]: logits = φ(u) · weight
  at::Tensor last_row;  ///< [G, J, d·K]: (P_ji)_{K,l} at i·K + l
  at::Tensor last_pmu;  ///< [G, J, d]: (P_ji μ_ji)_K
  at::Tensor prec;      ///< [G, J, d·K·K]: (P_ji)_{a,b} at (i·K + a)·K + b
  at::Tensor pmu;       ///< [G, J, d·K]: (P_ji μ_ji)_a at i·K + a
};

struct GaussianMixtureOracle::Logits {
  at::Tensor logits;  ///< [N, J] float64
  at::Tensor u3;      ///< [N, K, d] float64
  std::shared_ptr<const Coefficients> coef;
};

namespace {

/// Number of features of φ(u) for K blocks and d coordinates.
int64_t num_features(int64_t k, int64_t d) { return k * k * d + k * d + 1; }

/// φ(u) = [u_ki u_li | u_ki | 1] for u3 [N, K, d]: [N, F].
at::Tensor features(const at::Tensor& u3) {
  const int64_t n = u3.size(0);
  auto outer = u3.unsqueeze(2) * u3.unsqueeze(1);  // [N, K, K, d]
  return at::cat({outer.reshape({n, -1}), u3.reshape({n, -1}), at::ones({n, 1}, u3.options())}, 1);
}

/// rows [N, F] times per-group matrices m [G, F, J] (G = 1 or N): [N, J].
at::Tensor rows_times(const at::Tensor& rows, const at::Tensor& m) {
  if (m.size(0) == 1) return at::mm(rows, m[0]);
  return at::bmm(rows.unsqueeze(1), m).squeeze(1);
}

}  // namespace

GaussianMixtureOracle::GaussianMixtureOracle(const LinearSde& sde, GaussianMixture mixture)
    : sde_(sde), mixture_(std::move(mixture)), cached_t_(std::numeric_limits<double>::quiet_NaN()) {
  mixture_.validate("oracle");
}

GaussianMixtureOracle::~GaussianMixtureOracle() = default;

void GaussianMixtureOracle::fill_coefficients(double t, int64_t g, Coefficients& c) const {
  const int k = sde_.num_blocks();
  const int64_t d = mixture_.dim();
  const int64_t f_lin = int64_t{k} * k * d, f_const = f_lin + k * d;
  const Kernel kern = sde_.kernel(t);
  const Mat sigma0_aux = sde_.default_initial_cov();  // εΣ∞_kk on the aux blocks, 0 on x
  auto w = c.weight.accessor<double, 3>()[g];
  auto last_row = c.last_row.accessor<double, 3>()[g];
  auto last_pmu = c.last_pmu.accessor<double, 3>()[g];
  auto prec_all = c.prec.accessor<double, 3>()[g];
  auto pmu_all = c.pmu.accessor<double, 3>()[g];
  double weight_sum = 0.0;
  for (double wj : mixture_.weights) weight_sum += wj;

  for (int64_t j = 0; j < mixture_.num_components(); ++j) {
    double constant = std::log(mixture_.weights[j] / weight_sum) - 0.5 * k * d * std::log(2.0 * M_PI);
    for (int64_t i = 0; i < d; ++i) {
      Mat sigma0 = sigma0_aux;
      sigma0(0, 0) = mixture_.stds[j][i] * mixture_.stds[j][i];
      const Mat cov = congruence(kern.phi, sigma0) + kern.q;
      Mat chol, prec;
      if (!try_cholesky(cov, &chol) || !try_inverse(cov, &prec)) {
        sde_.fail("oracle: component covariance is not positive definite", t, cov);
      }
      Mat mu(k, 1);
      for (int r = 0; r < k; ++r) mu(r, 0) = kern.phi(r, 0) * mixture_.means[j][i];
      const Mat pmu = prec * mu;
      for (int a = 0; a < k; ++a) {
        for (int b = 0; b < k; ++b) {
          w[(a * k + b) * d + i][j] = -0.5 * prec(a, b);
          prec_all[j][(i * k + a) * k + b] = prec(a, b);
        }
        pmu_all[j][i * k + a] = pmu(a, 0);
        w[f_lin + a * d + i][j] = pmu(a, 0);
        last_row[j][i * k + a] = prec(k - 1, a);
        constant -= 0.5 * mu(a, 0) * pmu(a, 0) + std::log(chol(a, a));
      }
      last_pmu[j][i] = pmu(k - 1, 0);
    }
    w[f_const][j] = constant;
  }
}

std::shared_ptr<const GaussianMixtureOracle::Coefficients> GaussianMixtureOracle::coefficients(
    const at::Tensor& t_cpu) const {
  auto t_acc = t_cpu.accessor<double, 1>();
  const int64_t n = t_cpu.size(0);
  bool shared = true;
  for (int64_t i = 1; i < n && shared; ++i) shared = (t_acc[i] == t_acc[0]);
  if (shared && t_acc[0] == cached_t_) return cached_;

  const int64_t groups = shared ? 1 : n;
  const int64_t k = sde_.num_blocks(), d = mixture_.dim(), j = mixture_.num_components();
  auto c = std::make_shared<Coefficients>();
  c->weight = at::zeros({groups, num_features(k, d), j}, at::kDouble);
  c->last_row = at::zeros({groups, j, d * k}, at::kDouble);
  c->last_pmu = at::zeros({groups, j, d}, at::kDouble);
  c->prec = at::zeros({groups, j, d * k * k}, at::kDouble);
  c->pmu = at::zeros({groups, j, d * k}, at::kDouble);
  for (int64_t g = 0; g < groups; ++g) fill_coefficients(t_acc[g], g, *c);
  if (shared) {
    cached_ = c;
    cached_t_ = t_acc[0];
  }
  return c;
}

GaussianMixtureOracle::Logits GaussianMixtureOracle::logits(const at::Tensor& u, const at::Tensor& t) const {
  const int64_t n = u.size(0), k = sde_.num_blocks(), d = mixture_.dim();
  TORCH_CHECK(u.numel() == n * k * d, "GaussianMixtureOracle: state of shape ", u.sizes(), " does not hold ", k,
              " blocks of the mixture's dimension ", d);
  auto t_cpu = t.to(at::kCPU, at::kDouble).reshape({-1}).contiguous();
  TORCH_CHECK(t_cpu.size(0) == n || t_cpu.size(0) == 1, "GaussianMixtureOracle: expected ", n, " times, got ",
              t_cpu.size(0));
  auto coef = coefficients(t_cpu);
  auto u3 = u.to(at::kDouble).reshape({n, k, d});
  const auto dev = u.device();
  auto weight = coef->weight.to(dev);
  return {rows_times(features(u3), weight), u3, coef};
}

at::Tensor GaussianMixtureOracle::score(const at::Tensor& u, const at::Tensor& t) { return exact_score(u, t); }

at::Tensor GaussianMixtureOracle::weighted_last_score(const Logits& l, const at::Tensor& w) const {
  const int64_t n = w.size(0), k = sde_.num_blocks(), d = mixture_.dim();
  const auto dev = w.device();
  auto row = rows_times(w, l.coef->last_row.to(dev)).view({n, d, k});  // Σ_j w_j (P_ji)_{K,l}
  auto pmu = rows_times(w, l.coef->last_pmu.to(dev));                  // Σ_j w_j (P_ji μ_ji)_K
  return pmu - (row * l.u3.transpose(1, 2)).sum(2);                    // [N, d]
}

at::Tensor GaussianMixtureOracle::weighted_full_score(const Logits& l, const at::Tensor& w) const {
  const int64_t n = w.size(0), k = sde_.num_blocks(), d = mixture_.dim();
  const auto dev = w.device();
  auto prec = rows_times(w, l.coef->prec.to(dev)).view({n, d, k, k});  // Σ_j w_j P_ji
  auto pmu = rows_times(w, l.coef->pmu.to(dev)).view({n, d, k});       // Σ_j w_j P_ji μ_ji
  auto u_dk = l.u3.transpose(1, 2).unsqueeze(2);                       // [N, d, 1, K]
  auto s = pmu - (prec * u_dk).sum(3);                                 // [N, d, K]
  return s.transpose(1, 2);                                            // [N, K, d]
}

at::Tensor GaussianMixtureOracle::exact_score(const at::Tensor& u, const at::Tensor& t) const {
  const Logits l = logits(u, t);
  const at::Tensor s = weighted_last_score(l, at::softmax(l.logits, 1));
  std::vector<int64_t> shape(u.sizes().begin(), u.sizes().end());
  shape[1] /= sde_.num_blocks();
  return s.view(shape).to(u.scalar_type());
}

at::Tensor GaussianMixtureOracle::full_score(const at::Tensor& u, const at::Tensor& t) {
  const Logits l = logits(u, t);
  return weighted_full_score(l, at::softmax(l.logits, 1)).contiguous().view(u.sizes()).to(u.scalar_type());
}

at::Tensor GaussianMixtureOracle::class_gradient(const at::Tensor& u, const at::Tensor& t, int j,
                                                 bool all_blocks) const {
  TORCH_CHECK(j >= 0 && j < mixture_.num_components(), "GaussianMixtureOracle: no component ", j);
  const Logits l = logits(u, t);
  // s_j − s = Σ_i (δ_ij − r_i) s_i: the score formula with weights e_j − r.
  at::Tensor w = -at::softmax(l.logits, 1);
  w.select(1, j).add_(1.0);
  if (all_blocks) return weighted_full_score(l, w).contiguous().view(u.sizes()).to(u.scalar_type());
  std::vector<int64_t> shape(u.sizes().begin(), u.sizes().end());
  shape[1] /= sde_.num_blocks();
  return weighted_last_score(l, w).view(shape).to(u.scalar_type());
}

at::Tensor GaussianMixtureOracle::log_responsibilities(const at::Tensor& u, const at::Tensor& t) const {
  return at::log_softmax(logits(u, t).logits, 1);
}

at::Tensor GaussianMixtureOracle::log_prob(const at::Tensor& u, const at::Tensor& t) const {
  return at::logsumexp(logits(u, t).logits, 1);
}

at::Tensor GaussianMixtureOracle::eps(const at::Tensor& u, const at::Tensor& t, const Mat& sigma0) const {
  auto t_cpu = t.to(at::kCPU, at::kDouble).reshape({-1}).contiguous();
  const int64_t n = u.size(0);
  auto ell = at::empty({n}, at::kDouble);
  auto t_acc = t_cpu.accessor<double, 1>();
  auto ell_acc = ell.accessor<double, 1>();
  const bool one_time = t_cpu.size(0) == 1;
  double last_t = std::numeric_limits<double>::quiet_NaN(), last_ell = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double ti = t_acc[one_time ? 0 : i];
    if (ti != last_t) {  // samplers pass one time for all: one square-root factorisation
      last_ell = sde_.ell(ti, sigma0);
      last_t = ti;
    }
    ell_acc[i] = last_ell;
  }
  auto s = exact_score(u, t);
  std::vector<int64_t> shape(s.dim(), 1);
  shape[0] = n;
  return (s.to(at::kDouble) * -ell.to(u.device()).view(shape)).to(u.scalar_type());
}

}  // namespace hold
