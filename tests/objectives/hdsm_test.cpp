// math.md §11: high-order DSM. The terms at the exact score against their
// closed-form minima (§11.4), the Hutchinson forms against the exact ones in
// expectation (§11.3, by enumerating every Rademacher probe), and the
// double-backward derivatives against finite differences (float64).
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <string>
#include <vector>

#include "hold/core/error.h"
#include "hold/core/gaussian_mixture.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/models/mlp.h"
#include "hold/objectives/hdsm.h"
#include "hold/objectives/objective.h"
#include "hold/sde/blocks.h"
#include "hold/sde/linear_sde.h"
#include "support/preset.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

using namespace hold;

namespace {

ObjectiveConfig hdsm_config(int order, const std::string& estimator = "exact") {
  ObjectiveConfig c;
  c.name = "hdsm";
  c.order = order;
  c.hdsm_estimator = estimator;
  return c;
}

/// Mean and standard error of a [N] tensor.
struct MeanSe {
  double mean, se;
};
MeanSe mean_se(const at::Tensor& x) {
  const auto n = static_cast<double>(x.size(0));
  return {x.mean().item<double>(), x.std().item<double>() / std::sqrt(n)};
}

/// c_i = Var[z_K,i | u] for Gaussian data of std s_i (math.md §11.4).
std::vector<double> posterior_variances(const LinearSde& sde, const Objective& obj, double t,
                                        const std::vector<double>& stds) {
  const int k = sde.num_blocks();
  const double ell = sde.ell(t, obj.sigma0());
  std::vector<double> c;
  for (double s : stds) {
    Mat sigma0 = sde.default_initial_cov();
    sigma0(0, 0) = s * s;
    Mat prec;
    REQUIRE(try_inverse(sde.marginal_cov(t, sigma0), &prec));
    c.push_back(1.0 - ell * ell * prec(k - 1, k - 1));
  }
  return c;
}

/// A small float64 MLP on the K·d state (random weights: a non-symmetric J).
Mlp small_mlp(int64_t k, int64_t d) {
  Mlp net(MlpOptions(k * d, d).hidden(16).layers(3).seed(11));
  net->to(at::kDouble);
  return net;
}

double rel_err(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(b.abs().max().item<double>(), 1e-300);
}

}  // namespace

TEST_CASE("hdsm: at the exact score each term equals its closed-form minimum", "[objectives][hdsm]") {
  // Data N(m, diag(s²)) in 2-D: z_K | u is Gaussian with covariance diag(c_i),
  // and every term is a moment of it (math.md §11.4). The oracle's ε* and its
  // derivatives by the same double-backward code; 5 standard errors.
  const std::string name = GENERATE(std::string("vp"), std::string("ve"), std::string("cld"), std::string("hold"));
  const double t = GENERATE(0.05, 0.4);
  const LinearSde sde = preset(name);
  const Objective obj(sde, hdsm_config(3));
  GaussianMixture data;
  data.weights = {1.0};
  data.means = {{0.3, -0.2}};
  data.stds = {{0.5, 0.2}};
  const GaussianMixtureOracle oracle(sde, data);
  const int64_t n = 20000;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(17);
  const auto x0 = data.sample(n, gen, at::kDouble);
  const auto batch = obj.perturb_at(x0, at::full({n}, t, at::kDouble), gen);
  const EpsFunction eps_star = [&](const at::Tensor& u) { return oracle.eps(u, batch.t, obj.sigma0()); };

  const auto c = posterior_variances(sde, obj, t, data.stds[0]);
  double t1 = 0, t2 = 0, t3 = 0;
  for (double ci : c) t1 += ci, t2 += ci * ci, t3 += ci * ci * ci;

  const HdsmTerms exact =
      hdsm_terms(eps_derivatives(eps_star, batch.u_t, sde.num_blocks(), 3), batch.target, batch.ell, 3);
  const auto probe = at::randint(0, 2, batch.target.sizes(), gen, batch.target.options()).mul_(2).sub_(1);
  const HdsmTerms hutch =
      hdsm_terms(eps_derivatives(eps_star, batch.u_t, sde.num_blocks(), 3, probe), batch.target, batch.ell, 3);
  struct Case {
    const char* what;
    at::Tensor values;
    double closed;
  };
  const std::vector<Case> cases{
      {"first order", exact.first, t1},
      {"frobenius", exact.frobenius, t1 * t1 + t2},
      {"trace", exact.trace, 2 * t2},
      {"third order", exact.third, 2 * t1 * t2 + 4 * t3},
      {"hutchinson frobenius", hutch.frobenius, t1 * t1 + t2},
      {"hutchinson trace", hutch.trace, 2 * t1 * t1},
  };
  for (const auto& k : cases) {
    const MeanSe m = mean_se(k.values);
    INFO(name << " t = " << t << " " << k.what << ": Monte Carlo " << m.mean << " ± " << m.se << ", closed form "
              << k.closed);
    CHECK(std::abs(m.mean - k.closed) < 5 * m.se);
  }
  // The exact third-order residual has conditional mean 0 (so does its
  // Hutchinson estimate): a moment check on its first coordinate.
  const MeanSe q = mean_se(exact.third_residual.select(1, 0));
  CHECK(std::abs(q.mean) < 5 * q.se);
}

TEST_CASE("hdsm: the Hutchinson forms average to the exact ones over every probe", "[objectives][hdsm]") {
  // d = 2: the four Rademacher probes per sample give E_v exactly. A random
  // MLP has a non-symmetric J, so this also checks that J v (not Jᵀv) enters q.
  const int64_t k = GENERATE(1, 3);
  const int64_t d = 2, n = 64;
  Mlp net = small_mlp(k, d);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  const auto u = at::randn({n, k * d}, gen, f64);
  const auto t = at::rand({n}, gen, f64) * 0.9 + 0.05;
  const auto z = at::randn({n, d}, gen, f64);
  const auto ell = at::rand({n}, gen, f64) + 0.1;
  const EpsFunction eps_fn = [&](const at::Tensor& state) { return net->forward(state, t); };
  const HdsmTerms exact = hdsm_terms(eps_derivatives(eps_fn, u, k, 3), z, ell, 3);
  const EpsDerivatives exact_d = eps_derivatives(eps_fn, u, k, 3);

  HdsmTerms mean;
  at::Tensor trace_sq_mean;
  for (double a : {-1.0, 1.0})
    for (double b : {-1.0, 1.0}) {
      const auto v = at::stack({at::full({n}, a, f64), at::full({n}, b, f64)}, 1);
      const HdsmTerms h = hdsm_terms(eps_derivatives(eps_fn, u, k, 3, v), z, ell, 3);
      auto add = [](at::Tensor& acc, const at::Tensor& x) { acc = acc.defined() ? acc + x / 4 : x / 4; };
      add(mean.frobenius, h.frobenius.detach());
      add(mean.trace_residual, h.trace_residual.detach());
      add(trace_sq_mean, h.trace.detach());
      add(mean.third_residual, h.third_residual.detach());
    }
  CHECK(rel_err(mean.frobenius, exact.frobenius.detach()) < 1e-12);
  CHECK(rel_err(mean.trace_residual, exact.trace_residual.detach()) < 1e-12);
  CHECK(rel_err(mean.third_residual, exact.third_residual.detach()) < 1e-12);
  // The squared trace estimate exceeds the exact one by its variance,
  // ½ Σ_{i≠j} (M_ij + M_ji)² with M = I − ℓJ − hhᵀ (math.md §11.3).
  const auto h = z - exact_d.eps.detach();
  const auto m = at::eye(d, f64) - ell.view({n, 1, 1}) * exact_d.jac.detach() - h.unsqueeze(2) * h.unsqueeze(1);
  const auto off = m.select(1, 0).select(1, 1) + m.select(1, 1).select(1, 0);  // d = 2: one pair
  CHECK(rel_err(trace_sq_mean, exact.trace.detach() + off.square()) < 1e-12);
}

TEST_CASE("hdsm: double-backward derivatives equal finite differences of the network", "[objectives][hdsm]") {
  const int64_t k = GENERATE(1, 3);
  const int64_t d = 2, n = 8;
  Mlp net = small_mlp(k, d);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  const auto u = at::randn({n, k * d}, gen, f64);
  const auto t = at::rand({n}, gen, f64);
  const auto v = at::randint(0, 2, {n, d}, gen, f64).mul_(2).sub_(1);
  const EpsFunction eps_fn = [&](const at::Tensor& state) { return net->forward(state, t); };
  const EpsDerivatives exact = eps_derivatives(eps_fn, u, k, 3);
  const EpsDerivatives hutch = eps_derivatives(eps_fn, u, k, 3, v);

  // Central differences in the last block's coordinate j.
  const double step = 1e-5;
  auto shifted = [&](int64_t j, double by) {
    auto w = u.clone();
    w.select(1, (k - 1) * d + j).add_(by);
    return w;
  };
  std::vector<at::Tensor> cols, trace_cols, vjv_cols;
  for (int64_t j = 0; j < d; ++j) {
    const auto up = shifted(j, step), down = shifted(j, -step);
    at::NoGradGuard none;
    cols.push_back((net->forward(up, t) - net->forward(down, t)) / (2 * step));
  }
  const auto fd_jac = at::stack(cols, 2);  // [N, i, j] = ∂ε_i/∂u_K,j
  for (int64_t j = 0; j < d; ++j) {
    // ∇ tr J and ∇ vᵀJv: differences of the (double-backward) Jacobian itself.
    const auto jp = eps_derivatives(eps_fn, shifted(j, step), k, 2).jac.detach();
    const auto jm = eps_derivatives(eps_fn, shifted(j, -step), k, 2).jac.detach();
    const auto dj = (jp - jm) / (2 * step);
    trace_cols.push_back(dj.diagonal(0, 1, 2).sum(1));
    vjv_cols.push_back((v.unsqueeze(2) * dj * v.unsqueeze(1)).sum({1, 2}));
  }
  CHECK(rel_err(exact.jac.detach(), fd_jac) < 1e-4);
  CHECK(rel_err(exact.grad_trace.detach(), at::stack(trace_cols, 1)) < 1e-4);
  CHECK(rel_err(hutch.vjp.detach(), at::bmm(fd_jac.transpose(1, 2), v.unsqueeze(2)).squeeze(2)) < 1e-4);
  CHECK(rel_err(hutch.jvp, at::bmm(fd_jac, v.unsqueeze(2)).squeeze(2)) < 1e-4);
  CHECK(rel_err(hutch.grad_trace.detach(), at::stack(vjv_cols, 1)) < 1e-4);
}

TEST_CASE("hdsm: order 1 is bcsm's loss, and the loss trains the parameters", "[objectives][hdsm]") {
  const LinearSde sde = preset("hold");
  const int64_t d = 2, n = 32;
  Mlp net = small_mlp(3, d);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  const auto x0 = at::randn({n, d}, gen, at::TensorOptions().dtype(at::kDouble));
  ObjectiveConfig bcsm;
  const Objective first(sde, bcsm), one(sde, hdsm_config(1));
  const auto batch = first.perturb(x0, gen);
  const EpsFunction eps_fn = [&](const at::Tensor& u) { return net->forward(u, batch.t); };
  const auto pred = net->forward(batch.u_t, batch.t);
  CHECK(one.loss(eps_fn, batch, gen).item<double>() == Approx(first.loss(pred, batch).item<double>()).epsilon(1e-13));
  for (const char* est : {"exact", "hutchinson"}) {
    const Objective third(sde, hdsm_config(3, est));
    REQUIRE(third.needs_network());
    const auto loss = third.loss(eps_fn, batch, gen);
    for (auto& p : net->parameters()) p.mutable_grad() = at::Tensor();
    loss.backward();
    double norm = 0;
    for (const auto& p : net->parameters()) norm += p.grad().square().sum().item<double>();
    INFO(est);
    CHECK(std::isfinite(loss.item<double>()));
    CHECK(loss.item<double>() > first.loss(pred, batch).item<double>());
    CHECK(norm > 0);
  }
}

TEST_CASE("hdsm: its keys are checked by the objective", "[objectives][hdsm]") {
  const LinearSde sde = preset("ve");
  auto error_of = [&](const ObjectiveConfig& c) -> std::string {
    try {
      c.validate(sde);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  ObjectiveConfig c = hdsm_config(4);
  CHECK(error_of(c) == "order must be 1, 2 or 3, got 4 (objective.order)");
  c = hdsm_config(2);
  c.name = "dsm";
  CHECK(error_of(c) == "order 2 needs objective.name hdsm, got 'dsm' (objective.order)");
  c = hdsm_config(2);
  c.lambda3 = -1;
  CHECK(error_of(c) == "lambda3 must be finite and ≥ 0, got -1 (objective.lambda3)");
  c = hdsm_config(2, "hutch");
  CHECK_THAT(error_of(c), Catch::Contains("(objective.hdsm_estimator)"));
  c = hdsm_config(2);
  c.hdsm_form = "frob";
  CHECK_THAT(error_of(c), Catch::Contains("(objective.hdsm_form)"));
  CHECK(error_of(hdsm_config(3)).empty());
}
