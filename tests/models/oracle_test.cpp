// The Gaussian mixture and its exact-score oracle (math.md §6).
#include "hold/models/gaussian_mixture_oracle.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "hold/core/error.h"
#include "hold/sde/blocks.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/presets.h"
#include "support/allclose.h"
#include "support/preset.h"

namespace hold {
namespace {

/// The 2-D five-mode mixture of the sampler tests.
GaussianMixture five_modes() {
  GaussianMixture m;
  m.weights = {1, 1, 1, 1, 1};
  m.means = {{0, 0}, {0.8, 0.8}, {0.8, -0.8}, {-0.8, -0.8}, {-0.8, 0.8}};
  m.stds.assign(5, {0.05, 0.05});
  return m;
}

GaussianMixture two_modes() {
  GaussianMixture m;
  m.weights = {0.3, 0.7};
  m.means = {{-0.5, 0.2}, {0.6, -0.4}};
  m.stds = {{0.3, 0.2}, {0.25, 0.4}};
  return m;
}

/// n draws of the forward marginal at t > 0: u_t = Φ u_0 + chol(Q) z with
/// x_0 from the mixture and the aux blocks from N(0, εΣ∞_kk). [n, K·d] float64.
at::Tensor draw_marginal(const LinearSde& sde, const GaussianMixture& mix, double t, int64_t n, at::Generator gen) {
  const int k = sde.num_blocks();
  std::vector<at::Tensor> blocks{mix.sample(n, gen, at::kDouble)};
  const Mat sigma0 = sde.default_initial_cov();
  for (int b = 1; b < k; ++b)
    blocks.push_back(
        at::normal(0, std::sqrt(sigma0(b, b)), {n, mix.dim()}, gen, at::TensorOptions().dtype(at::kDouble)));
  const Kernel kern = sde.kernel(t);
  Mat q_chol;
  REQUIRE(try_cholesky(kern.q, &q_chol));
  auto z = at::normal(0, 1, {n, k * mix.dim()}, gen, at::TensorOptions().dtype(at::kDouble));
  return apply_blockwise(kern.phi, join_blocks(blocks)) + apply_blockwise(q_chol, z);
}

at::Tensor times(int64_t n, double t) { return at::full({n}, t, at::kDouble); }

}  // namespace

TEST_CASE("A Gaussian mixture's samples have its weights, means and stds", "[oracle]") {
  // n = 40000: a weight's standard error is sqrt(0.2·0.8/n) = 0.002, a mode's
  // mean 0.05/sqrt(8000) = 5.6e-4 and its std 0.05/sqrt(16000) = 4e-4; the
  // tolerances are 5 standard errors.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  const GaussianMixture mix = five_modes();
  const int64_t n = 40000;
  auto x = mix.sample(n, gen, at::kDouble);
  REQUIRE(x.sizes() == at::IntArrayRef({n, 2}));
  auto centres = at::tensor(std::vector<double>{0, 0, 0.8, 0.8, 0.8, -0.8, -0.8, -0.8, -0.8, 0.8}).view({5, 2});
  auto nearest = at::cdist(x, centres).argmin(1);
  for (int64_t j = 0; j < 5; ++j) {
    auto xj = x.index({nearest == j});
    CHECK(xj.size(0) / double(n) == Approx(0.2).margin(0.01));
    CHECK_ALLCLOSE(xj.mean(0), centres[j], 3e-3);
    CHECK_ALLCLOSE(xj.std(0), at::full({2}, 0.05, at::kDouble), 2e-3);
  }
  CHECK(mix.sample(3, gen).scalar_type() == at::kFloat);
}

TEST_CASE("A Gaussian mixture's log density equals the closed form", "[oracle]") {
  GaussianMixture one;
  one.weights = {2.0};  // normalised internally
  one.means = {{0.5, -1.0}};
  one.stds = {{0.5, 2.0}};
  auto x = at::tensor(std::vector<double>{0.1, 0.2, -3.0, 4.0}).view({2, 2});
  auto z0 = (x.select(1, 0) - 0.5) / 0.5, z1 = (x.select(1, 1) + 1.0) / 2.0;
  auto expected = -0.5 * (z0 * z0 + z1 * z1) - std::log(0.5) - std::log(2.0) - std::log(2 * M_PI);
  REQUIRE_ALLCLOSE(one.log_prob(x), expected, 1e-13);

  // Two components: the log-sum-exp of the weighted component densities.
  const GaussianMixture two = two_modes();
  auto y = at::tensor(std::vector<double>{-0.4, 0.0, 5.0, -7.0}).view({2, 2});
  auto comp = [&](int j) {
    auto zx = (y.select(1, 0) - two.means[j][0]) / two.stds[j][0];
    auto zy = (y.select(1, 1) - two.means[j][1]) / two.stds[j][1];
    return std::log(two.weights[j]) - 0.5 * (zx * zx + zy * zy) - std::log(two.stds[j][0] * two.stds[j][1]) -
           std::log(2 * M_PI);
  };
  REQUIRE_ALLCLOSE(two.log_prob(y), at::logaddexp(comp(0), comp(1)), 1e-12);
}

TEST_CASE("A bad Gaussian mixture is a ConfigError naming the key", "[oracle]") {
  GaussianMixture m = two_modes();
  CHECK_NOTHROW(m.validate("data"));
  m.stds[1][0] = 0.0;
  CHECK_THROWS_WITH(m.validate("data"), Catch::Contains("(data.stds)"));
  m = two_modes();
  m.means[1] = {1.0};
  CHECK_THROWS_WITH(m.validate("data"), Catch::Contains("(data.means)"));
  m = two_modes();
  m.weights = {0.5, -0.5};
  CHECK_THROWS_WITH(m.validate("data"), Catch::Contains("(data.weights)"));
  m = two_modes();
  m.weights.push_back(1.0);
  CHECK_THROWS_AS(m.validate("data"), ConfigError);
  CHECK_THROWS_AS(GaussianMixtureOracle(preset("vp"), GaussianMixture{}), ConfigError);
}

TEST_CASE("The oracle's score of a single Gaussian equals the closed-form Gaussian score", "[oracle]") {
  // Per data coordinate i the marginal is N(μ_t, Σ_t) with μ_t = Φ [m_i; 0; …] and
  // Σ_t = marginal_cov(t, Σ₀ with s_i² on x); the score is −[Σ_t⁻¹ (u_i − μ_t)]_K,
  // here with an independent inverse (torch) instead of the oracle's features.
  const std::string name = GENERATE(as<std::string>{}, "ve", "vp", "subvp", "cld", "hold");
  const double t = GENERATE(1e-4, 0.01, 0.3, 1.0);
  CAPTURE(name, t);
  const LinearSde sde = preset(name);
  GaussianMixture one;
  one.weights = {1.0};
  one.means = {{0.4, -0.7}};
  one.stds = {{0.6, 0.2}};
  GaussianMixtureOracle oracle(sde, one);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const int64_t n = 32, k = sde.num_blocks();
  auto u = draw_marginal(sde, one, t, n, gen);
  auto u3 = u.view({n, k, 2});

  const Kernel kern = sde.kernel(t);
  std::vector<at::Tensor> expected;
  for (int i = 0; i < 2; ++i) {
    Mat sigma0 = sde.default_initial_cov();
    sigma0(0, 0) = one.stds[0][i] * one.stds[0][i];
    auto prec = at::inverse(to_tensor(sde.marginal_cov(t, sigma0)));
    auto mu = to_tensor(kern.phi).select(1, 0) * one.means[0][i];
    auto diff = u3.select(2, i) - mu;  // [n, K]
    expected.push_back(-at::matmul(diff, prec.t()).select(1, k - 1));
  }
  auto want = at::stack(expected, 1);  // [n, 2]
  auto got = oracle.score(u, times(n, t));
  REQUIRE(got.scalar_type() == at::kDouble);
  REQUIRE_ALLCLOSE_REL(got, want, 1e-9, 1e-9);

  // float32 in, float32 out, same values to float32 precision.
  auto got32 = oracle.score(u.to(at::kFloat), times(n, t).to(at::kFloat));
  REQUIRE(got32.scalar_type() == at::kFloat);
  REQUIRE_ALLCLOSE_REL(got32, want, 1e-4, 1e-4);
}

TEST_CASE("The oracle's score is the gradient of its log density", "[oracle]") {
  // Central differences of log p_t along each last-block coordinate: truncation
  // ~δ² |∂³ log p| and rounding ~1e-16 |log p| / δ are both below 1e-7 here.
  const std::string name = GENERATE(as<std::string>{}, "ve", "vp", "cld", "hold");
  const double t = GENERATE(0.02, 0.5);
  CAPTURE(name, t);
  const LinearSde sde = preset(name);
  const GaussianMixture mix = two_modes();
  GaussianMixtureOracle oracle(sde, mix);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const int64_t n = 16, k = sde.num_blocks();
  auto u = draw_marginal(sde, mix, t, n, gen);
  const double delta = 1e-5;
  std::vector<at::Tensor> grad;
  for (int64_t i = 0; i < 2; ++i) {
    auto up = u.clone(), down = u.clone();
    up.select(1, (k - 1) * 2 + i).add_(delta);
    down.select(1, (k - 1) * 2 + i).sub_(delta);
    grad.push_back((oracle.log_prob(up, times(n, t)) - oracle.log_prob(down, times(n, t))) / (2 * delta));
  }
  REQUIRE_ALLCLOSE_REL(oracle.score(u, times(n, t)), at::stack(grad, 1), 1e-6, 1e-6);
}

TEST_CASE("The oracle with per-sample times equals the oracle at each shared time", "[oracle]") {
  const std::string name = GENERATE(as<std::string>{}, "vp", "cld", "hold");
  CAPTURE(name);
  const LinearSde sde = preset(name);
  const GaussianMixture mix = two_modes();
  GaussianMixtureOracle oracle(sde, mix);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  const int64_t n = 12;
  auto u = draw_marginal(sde, mix, 0.2, n, gen);
  auto t = at::linspace(1e-3, 1.0, n, at::kDouble);
  auto score = oracle.score(u, t);
  auto log_prob = oracle.log_prob(u, t);
  for (int64_t j = 0; j < n; ++j) {
    auto uj = u.narrow(0, j, 1), tj = t.narrow(0, j, 1);
    CHECK_ALLCLOSE_REL(score.narrow(0, j, 1), oracle.score(uj, tj), 1e-12, 1e-12);
    CHECK_ALLCLOSE_REL(log_prob.narrow(0, j, 1), oracle.log_prob(uj, tj), 1e-12, 1e-12);
  }
}

TEST_CASE("The oracle's log density at t = 0 is the data density times the aux initial law", "[oracle]") {
  // At t = 0, Φ = I and Q = 0: p_0(u) = p_data(x) Π_{k≥2} N(u_k; 0, εΣ∞_kk).
  const std::string name = GENERATE(as<std::string>{}, "vp", "ve", "cld", "hold");
  CAPTURE(name);
  const LinearSde sde = preset(name);
  const GaussianMixture mix = two_modes();
  GaussianMixtureOracle oracle(sde, mix);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
  const int64_t n = 10, k = sde.num_blocks();
  auto u = at::normal(0, 0.5, {n, k * 2}, gen, at::TensorOptions().dtype(at::kDouble));
  auto expected = mix.log_prob(block(u, k, 0).contiguous());
  const Mat sigma0 = sde.default_initial_cov();
  for (int64_t b = 1; b < k; ++b) {
    const double var = sigma0(b, b);
    expected = expected + (-0.5 * block(u, k, b).pow(2) / var - 0.5 * std::log(2 * M_PI * var)).sum(1);
  }
  REQUIRE_ALLCLOSE_REL(oracle.log_prob(u, times(n, 0.0)), expected, 1e-10, 1e-12);
}

TEST_CASE("The oracle's eps is the noise a perfect vp network predicts", "[oracle]") {
  // Data N(0, 1) under vp stay N(0, 1) at every t: score = −u, and with
  // ℓ_t = σ_t = sqrt(1 − e^{−B(t)}) the ideal prediction is ε = σ_t u.
  const LinearSde sde = preset("vp");
  GaussianMixture standard;
  standard.weights = {1.0};
  standard.means = {{0.0, 0.0, 0.0}};
  standard.stds = {{1.0, 1.0, 1.0}};
  GaussianMixtureOracle oracle(sde, standard);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(13);
  auto u = at::normal(0, 1, {6, 3}, gen, at::TensorOptions().dtype(at::kDouble));
  auto t = at::tensor(std::vector<double>{1e-4, 0.01, 0.1, 0.3, 0.6, 1.0});
  auto sigma = (1.0 - at::exp(-(0.1 * t + 0.5 * t * t * (20.0 - 0.1)))).sqrt();
  REQUIRE_ALLCLOSE_REL(oracle.score(u, t), -u, 1e-12, 1e-10);
  REQUIRE_ALLCLOSE_REL(oracle.eps(u, t, sde.default_initial_cov()), sigma.unsqueeze(1) * u, 1e-12, 1e-9);
}

}  // namespace hold
