// math.md §3 and §8 item 5: the perturbation kernel, the target, ℓ_t, the
// weightings and the loss at the optimum, against closed forms.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "hold/core/error.h"
#include "hold/objectives/objective.h"
#include "hold/sde/blocks.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/presets.h"
#include "support/allclose.h"

using namespace hold;

namespace {

LinearSde preset(const std::string& name, int order = 3) {
  SdeConfig c;
  c.name = name;
  c.order = order;
  return make_sde(c);
}

ObjectiveConfig objective_config(const std::string& name, std::vector<std::string> blocks = {"x"},
                                 const std::string& weighting = "noise") {
  ObjectiveConfig c;
  c.name = name;
  c.blocks = std::move(blocks);
  c.weighting = weighting;
  return c;
}

at::Tensor mat_tensor(const Mat& m) { return to_tensor(m, at::kDouble); }

/// Covariance of the marginal of u_t when x₀ ~ N(m, s²) per coordinate and the
/// aux blocks start as N(0, εΣ∞_kk): Φ diag(s², εΣ∞_22, …) Φᵀ + Q (the law does
/// not depend on which blocks the objective conditions on).
Mat data_marginal_cov(const LinearSde& sde, double t, double data_var) {
  Mat sigma0 = sde.default_initial_cov();
  sigma0(0, 0) = data_var;
  return sde.marginal_cov(t, sigma0);
}

/// Exact last-block score of that Gaussian marginal at per-sample times:
/// −[Σᵐ_t⁻¹ (u − Φ e₁ m)]_K, u [N, K·d] float64, t [N] float64 → [N, d].
at::Tensor gaussian_score(const LinearSde& sde, const at::Tensor& u, const at::Tensor& t, double mean, double var) {
  const int64_t n = u.size(0), k = sde.num_blocks(), d = u.size(1) / k;
  const auto uc = u.contiguous();
  const auto tc = t.contiguous();
  const double* up = uc.data_ptr<double>();
  const double* tp = tc.data_ptr<double>();
  auto out = at::empty({n, d}, at::kDouble);
  double* op = out.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {
    const Kernel kern = sde.kernel(tp[i]);
    Mat prec;
    if (!try_inverse(data_marginal_cov(sde, tp[i], var), &prec)) FAIL("singular marginal at t = " << tp[i]);
    for (int64_t c = 0; c < d; ++c) {
      double s = 0.0;
      for (int64_t j = 0; j < k; ++j) s -= prec(k - 1, j) * (up[i * k * d + j * d + c] - kern.phi(j, 0) * mean);
      op[i * d + c] = s;
    }
  }
  return out;
}

/// √ of the Schur complement of Σ_t's last entry, formed in long double:
/// ℓ_t² = Σ_KK − Σ_K,<K Σ_<K⁻¹ Σ_<K,K (Gaussian elimination without pivoting).
double ell_schur_long_double(const LinearSde& sde, double t, const Mat& sigma0) {
  const Kernel kern = sde.kernel(t);
  const int k = sde.num_blocks();
  std::vector<std::vector<long double>> s(k, std::vector<long double>(k, 0.0L));
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) {
      long double v = kern.q(i, j);
      for (int a = 0; a < k; ++a) v += static_cast<long double>(kern.phi(i, a)) * sigma0(a, a) * kern.phi(j, a);
      s[i][j] = v;
    }
  for (int p = 0; p < k - 1; ++p)
    for (int i = p + 1; i < k; ++i) {
      const long double f = s[i][p] / s[p][p];
      for (int j = p; j < k; ++j) s[i][j] -= f * s[p][j];
    }
  return static_cast<double>(std::sqrt(s[k - 1][k - 1]));
}

}  // namespace

TEST_CASE("Objective config validation names the key", "[objectives]") {
  const LinearSde sde = preset("hold");
  auto message_of = [&](const ObjectiveConfig& c) {
    try {
      c.validate(sde);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(message_of(objective_config("bcsm")).empty());
  CHECK(message_of(objective_config("hsm", {"x", "v"})).empty());
  CHECK(message_of(objective_config("dsm")).empty());
  CHECK_THAT(message_of(objective_config("sm")), Catch::Contains("(objective.name)"));
  CHECK_THAT(message_of(objective_config("bcsm", {"x", "q"})), Catch::Contains("(objective.blocks)"));
  CHECK_THAT(message_of(objective_config("bcsm", {"x", "b3"})), Catch::Contains("3 block(s)"));
  CHECK_THAT(message_of(objective_config("bcsm", {"v"})), Catch::Contains("'x'"));
  CHECK_THAT(message_of(objective_config("bcsm", {"x", "x"})), Catch::Contains("twice"));
  CHECK_THAT(message_of(objective_config("bcsm", {"x"}, "snr")), Catch::Contains("(objective.weighting)"));
  ObjectiveConfig bad_t = objective_config("bcsm");
  bad_t.t_eps = 0.0;
  CHECK_THAT(message_of(bad_t), Catch::Contains("(objective.t_eps)"));
  CHECK_THROWS_AS(Objective(sde, objective_config("bcsm", {"a"})), ConfigError);
}

TEST_CASE("dsm gives every block (Sigma0 = 0); bcsm marginalises the blocks outside S", "[objectives]") {
  const LinearSde hold4 = preset("hold", 4);
  const Mat& inf = hold4.prior_cov();
  const double eps = hold4.eps();
  CHECK(Objective(hold4, objective_config("dsm")).sigma0().max_abs() == 0.0);
  const Mat bcsm_x = Objective(hold4, objective_config("bcsm")).sigma0();
  const Mat bcsm_xa = Objective(hold4, objective_config("bcsm", {"a", "x"})).sigma0();
  const Mat bcsm_all = Objective(hold4, objective_config("bcsm", {"x", "v", "a", "b3"})).sigma0();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      const double aux = (i == j && i > 0) ? eps * inf(i, i) : 0.0;
      CHECK(bcsm_x(i, j) == aux);
      CHECK(bcsm_xa(i, j) == (i == 2 ? 0.0 : aux));
      CHECK(bcsm_all(i, j) == 0.0);
    }
  // hsm is CLD's name for the same objective.
  const LinearSde cld = preset("cld");
  const Mat hsm = Objective(cld, objective_config("hsm")).sigma0();
  CHECK(hsm(1, 1) == Approx(cld.eps() / 4.0).epsilon(1e-12));  // ε M, M = 1/4
  CHECK(hsm(0, 0) == 0.0);
}

TEST_CASE("ell_t equals the square root of the Schur complement of Sigma_t (long double)", "[objectives]") {
  const std::string name =
      GENERATE(std::string("ve"), std::string("vp"), std::string("subvp"), std::string("cld"), std::string("hold"));
  const std::string objective = GENERATE(std::string("dsm"), std::string("bcsm"));
  const LinearSde sde = preset(name);
  const Objective obj(sde, objective_config(objective));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const auto t = at::linspace(0.05, 1.0, 40, at::kDouble);
  const auto batch = obj.perturb_at(at::zeros({40, 2}, at::kDouble), t, gen);
  for (int64_t i = 0; i < 40; ++i) {
    const double ti = t[i].item<double>();
    const double ref = ell_schur_long_double(sde, ti, obj.sigma0());
    INFO(name << " " << objective << " t = " << ti);
    CHECK(batch.ell[i].item<double>() == Approx(ref).epsilon(1e-10));
  }
}

TEST_CASE("The perturbation has mean Phi m0 and covariance Sigma_t, and its target is the exact score",
          "[objectives]") {
  // n = 2·10⁵ draws of u_t at a fixed moderate t; each covariance entry's
  // standard error is sqrt((Σ_ii Σ_jj + Σ_ij²)/n) ≤ 0.0032·sqrt(Σ_ii Σ_jj); 5 SE.
  const std::string name =
      GENERATE(std::string("ve"), std::string("subvp"), std::string("vp"), std::string("cld"), std::string("hold"));
  const LinearSde sde = preset(name);
  const Objective obj(sde, objective_config("bcsm"));
  const int64_t k = sde.num_blocks(), n = 2000, d = 100;
  const double t = 0.3, x_value = 0.7;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  const auto x0 = at::full({n, d}, x_value, at::kDouble);
  const auto batch = obj.perturb_at(x0, at::full({n}, t, at::kDouble), gen);
  REQUIRE(batch.u_t.sizes() == at::IntArrayRef({n, k * d}));
  REQUIRE(batch.target.sizes() == at::IntArrayRef({n, d}));

  const Kernel kern = sde.kernel(t);
  const Mat cov = sde.marginal_cov(t, obj.sigma0());
  auto mean = mat_tensor(kern.phi).select(1, 0) * x_value;       // Φ m₀: [K]
  auto r = batch.u_t.reshape({n, k, d}) - mean.view({1, k, 1});  // u_t − μ_t
  auto samples = r.permute({0, 2, 1}).reshape({n * d, k});       // [n·d, K]
  const double count = static_cast<double>(n * d);
  auto emp_mean = samples.mean(0);
  auto emp_cov = at::matmul(samples.t(), samples) / count;
  for (int i = 0; i < k; ++i) {
    INFO(name << " mean of block " << i);
    CHECK(std::abs(emp_mean[i].item<double>()) < 5 * std::sqrt(cov(i, i) / count));
    for (int j = 0; j < k; ++j) {
      const double se = std::sqrt((cov(i, i) * cov(j, j) + cov(i, j) * cov(i, j)) / count);
      INFO(name << " cov(" << i << ", " << j << ") = " << emp_cov[i][j].item<double>() << " vs " << cov(i, j) << ", SE "
                << se);
      CHECK(std::abs(emp_cov[i][j].item<double>() - cov(i, j)) < 5 * se);
    }
  }
  // Per sample and exactly: −z_K/ℓ_t = −[Σ_t⁻¹ (u_t − μ_t)]_K (math.md §3).
  auto prec_row = at::linalg_inv(mat_tensor(cov)).select(0, k - 1);  // [K]
  auto score = -(r * prec_row.view({1, k, 1})).sum(1);               // [n, d]
  REQUIRE_ALLCLOSE_REL(-batch.target / batch.ell.view({n, 1}), score, 1e-9, 1e-7);
}

TEST_CASE("Times are uniform on [t_eps, T] and the likelihood weight is g2/ell^2", "[objectives]") {
  const LinearSde sde = preset("hold");
  ObjectiveConfig c = objective_config("bcsm", {"x"}, "likelihood");
  c.t_eps = 0.2;
  const Objective obj(sde, c);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const int64_t n = 20000;
  const auto batch = obj.perturb(at::zeros({n, 1}), gen);
  // U(0.2, 1): mean 0.6, sd 0.8/√12 = 0.231; SE of the mean 0.0016, 5 SE.
  CHECK(batch.t.min().item<double>() >= 0.2);
  CHECK(batch.t.max().item<double>() <= 1.0);
  CHECK(std::abs(batch.t.mean().item<double>() - 0.6) < 5 * 0.231 / std::sqrt(double(n)));
  for (int64_t i = 0; i < 50; ++i) {
    const double ti = batch.t[i].item<double>();
    const double ell = sde.ell(ti, obj.sigma0());
    CHECK(batch.ell[i].item<double>() == Approx(ell).epsilon(1e-13));
    CHECK(batch.weight[i].item<double>() == Approx(sde.g2(ti) / (ell * ell)).epsilon(1e-6));
  }
  // The loss is the weighted mean of per-sample squared errors.
  const auto pred = at::zeros_like(batch.target);
  const double expected = (batch.target.square().sum(1) * batch.weight).mean().item<double>();
  CHECK(obj.loss(pred, batch).item<double>() == Approx(expected).epsilon(1e-6));
}

TEST_CASE("dsm draws the given aux blocks from N(0, eps Sigma_inf_kk)", "[objectives]") {
  // The marginal law of u_t given x₀ is the same for dsm and bcsm (the aux
  // blocks are random either way); only the conditioning, hence ℓ_t, differs.
  const LinearSde sde = preset("cld");
  const Objective dsm(sde, objective_config("dsm"));
  const Objective bcsm(sde, objective_config("bcsm"));
  const int64_t n = 1000, d = 200;
  const double t = 0.05;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(8);
  const auto batch = dsm.perturb_at(at::zeros({n, d}, at::kDouble), at::full({n}, t, at::kDouble), gen);
  const Mat cov = sde.marginal_cov(t, bcsm.sigma0());
  auto samples = batch.u_t.reshape({n, 2, d}).permute({0, 2, 1}).reshape({n * d, 2});
  auto emp_cov = at::matmul(samples.t(), samples) / double(n * d);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      const double se = std::sqrt((cov(i, i) * cov(j, j) + cov(i, j) * cov(i, j)) / double(n * d));
      CHECK(std::abs(emp_cov[i][j].item<double>() - cov(i, j)) < 5 * se);
    }
  CHECK(batch.ell[0].item<double>() == Approx(sde.ell(t, Mat::zeros(2))).epsilon(1e-13));
  CHECK(batch.ell[0].item<double>() < sde.ell(t, bcsm.sigma0()));
}

TEST_CASE("With the exact eps of a single Gaussian the loss equals its irreducible minimum", "[objectives]") {
  // Data N(m, s²). ε* = −ℓ_t s(u_t, t) = E[z_K | u_t], so the minimum is
  // E_t[1 − ℓ_t² (Σᵐ_t⁻¹)_KK] per coordinate, Σᵐ_t the marginal covariance.
  // Monte Carlo over n = 60000 (t, x₀, z) draws against that closed form (the
  // t-integral by a 4000-point midpoint rule); 5 standard errors.
  const std::string name = GENERATE(std::string("vp"), std::string("cld"), std::string("hold"));
  const std::string objective = GENERATE(std::string("bcsm"), std::string("dsm"));
  const LinearSde sde = preset(name);
  const Objective obj(sde, objective_config(objective));
  const int k = sde.num_blocks();
  const double mean = 0.3, var = 0.25 * 0.25;
  const int64_t n = 60000;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
  const auto x0 = at::normal(mean, std::sqrt(var), {n, 1}, gen, at::TensorOptions().dtype(at::kDouble));
  const auto batch = obj.perturb(x0, gen);
  const auto eps_star = -batch.ell.view({n, 1}) * gaussian_score(sde, batch.u_t, batch.t, mean, var);
  const auto per_sample = (eps_star - batch.target).square().sum(1);
  const double mc = obj.loss(eps_star, batch).item<double>();
  const double se = per_sample.std().item<double>() / std::sqrt(double(n));

  const double t_eps = 1e-5, t_max = sde.t_max();
  const int m = 4000;
  double closed = 0.0;
  for (int i = 0; i < m; ++i) {
    const double t = t_eps + (t_max - t_eps) * (i + 0.5) / m;
    Mat prec;
    REQUIRE(try_inverse(data_marginal_cov(sde, t, var), &prec));
    const double ell = sde.ell(t, obj.sigma0());
    closed += (1.0 - ell * ell * prec(k - 1, k - 1)) / m;
  }
  INFO(name << " " << objective << ": Monte Carlo " << mc << " ± " << se << ", closed form " << closed);
  CHECK(std::abs(mc - closed) < 5 * se);
  // Any other predictor is worse: the minimum is strict.
  CHECK(obj.loss(eps_star * 0.9, batch).item<double>() > mc);
}
