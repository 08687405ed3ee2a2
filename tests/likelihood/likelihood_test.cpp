// The probability-flow likelihood (math.md §5) against exact densities: with
// the oracle of a single Gaussian the bound is tight (math.md §8 item 4), so
// each point's estimate must equal the Gaussian's log-density.
#include "hold/likelihood/likelihood.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <string>

#include "hold/core/gaussian_mixture.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/sde/linear_sde.h"
#include "support/preset.h"

#include <catch2/catch.hpp>

namespace hold {
namespace {

/// One Gaussian N(m, diag(s²)): anisotropic, so the last-block Jacobian of the
/// score is diagonal but not a multiple of the identity.
GaussianMixture single_gaussian(const std::vector<double>& m, const std::vector<double>& s) {
  GaussianMixture g;
  g.weights = {1.0};
  g.means = {m};
  g.stds = {s};
  return g;
}

/// log N(x; m, diag(s²)) per row of x [N, d]: [N] float64.
at::Tensor gaussian_log_prob(const at::Tensor& x, const std::vector<double>& m, const std::vector<double>& s) {
  const auto mean = at::tensor(m, at::kDouble);
  const auto std = at::tensor(s, at::kDouble);
  const auto z = (x.to(at::kDouble).flatten(1) - mean) / std;
  return (-0.5 * z.pow(2) - std.log() - 0.5 * std::log(2 * M_PI)).sum(1);
}

at::Tensor draw(int64_t n, const std::vector<double>& m, const std::vector<double>& s, at::Generator& gen) {
  const auto z = at::empty({n, static_cast<int64_t>(m.size())}, at::kDouble).normal_(0, 1, gen);
  return z * at::tensor(s, at::kDouble) + at::tensor(m, at::kDouble);
}

LikelihoodOptions exact_options() {
  LikelihoodOptions o;
  o.trace = "exact";
  o.dtype = at::kDouble;
  return o;
}

const std::vector<double> kMean{0.3, -0.2, 0.1, 0.5};
const std::vector<double> kStd{0.5, 0.8, 0.3, 1.0};

}  // namespace

TEST_CASE("likelihood: the ODE's log-density change is exact per point (oracle)", "[likelihood]") {
  // Δ = ∫ div f dt over [t_ε, T] must equal log p_{t_ε}(u₀) − log p_T(u_T) of
  // the exact marginals, point by point, to the integration tolerance.
  const std::string name = GENERATE(as<std::string>{}, "vp", "subvp", "ve", "cld", "hold");
  const LinearSde sde = preset(name);
  GaussianMixtureOracle oracle(sde, single_gaussian(kMean, kStd));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  const at::Tensor x = draw(64, kMean, kStd, gen);
  const auto at_time = [&](double t) { return at::full({x.size(0)}, t, at::kDouble); };
  // Measured worst errors per state dimension at tolerance 1e-5 / 1e-7:
  // vp 2e-5 / 3e-7, cld 8e-5 / 1.1e-6, hold 2.7e-4 / 3.2e-6.
  for (const auto& [tol, bound] : {std::pair{1e-5, 1e-3}, std::pair{1e-7, 1e-5}}) {
    LikelihoodOptions o = exact_options();
    o.atol = o.rtol = tol;
    auto g = gen.clone();
    const LikelihoodBatch r = log_likelihood_bound(sde, oracle, o, x, g);
    const at::Tensor expected =
        oracle.log_prob(r.initial_state, at_time(o.t_eps)) - oracle.log_prob(r.final_state, at_time(sde.t_max()));
    const double worst = ((r.delta_log_prob - expected).abs() / (4.0 * sde.num_blocks())).max().item<double>();
    INFO(name << " at tolerance " << tol << ": worst per-point error " << worst << " nats per state dimension, NFE "
              << r.nfe);
    CHECK(worst < bound);
    CHECK(at::equal(r.initial_state.narrow(1, 0, 4), x));  // the x block is the data point
  }
}

TEST_CASE("likelihood: the exact-trace bound equals a Gaussian's log-density on average", "[likelihood]") {
  // math.md §8 item 4. Per point the bound differs from log N(x) by the prior
  // mismatch at T and, for K ≥ 2, by log p(aux | x) − log q(aux) at t_ε (first
  // order, zero mean); on average only second-order terms (KL) remain.
  const std::string name = GENERATE(as<std::string>{}, "vp", "subvp", "ve", "cld", "hold");
  const LinearSde sde = preset(name);
  GaussianMixtureOracle oracle(sde, single_gaussian(kMean, kStd));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(8);
  const at::Tensor x = draw(400, kMean, kStd, gen);
  const LikelihoodBatch r = log_likelihood_bound(sde, oracle, exact_options(), x, gen);
  const MeanWithError e = mean_with_error((r.log_likelihood - gaussian_log_prob(x, kMean, kStd)) / 4.0);
  INFO(name << ": mean error " << e.mean << " +- " << e.standard_error << " nats/dim");
  CHECK(std::abs(e.mean) < 1e-3);
  CHECK(r.nfe > 10);
  if (sde.num_blocks() == 1) CHECK(r.aux_log_prob.abs().max().item<double>() == 0.0);
}

TEST_CASE("likelihood: Hutchinson's estimate is unbiased (3 standard errors)", "[likelihood]") {
  const std::string name = GENERATE(as<std::string>{}, "vp", "cld", "hold");
  const std::string probe = GENERATE(as<std::string>{}, "rademacher", "gaussian");
  const LinearSde sde = preset(name);
  GaussianMixtureOracle oracle(sde, single_gaussian(kMean, kStd));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  const at::Tensor x = draw(256, kMean, kStd, gen);
  LikelihoodOptions o = exact_options();
  o.trace = "hutchinson";
  o.probe = probe;
  const LikelihoodBatch r = log_likelihood_bound(sde, oracle, o, x, gen);
  const at::Tensor error = (r.log_likelihood - gaussian_log_prob(x, kMean, kStd)) / 4.0;
  const MeanWithError e = mean_with_error(error);
  INFO(name << "/" << probe << ": mean error " << e.mean << " +- " << e.standard_error << " nats/dim");
  CHECK(std::abs(e.mean) <= 3 * e.standard_error + 1e-3);
  if (probe == "rademacher") {
    // w_i² = 1: for a diagonal Jacobian Rademacher probes give the exact
    // trace, so the whole solve equals the exact-trace one (same aux draws).
    auto g = at::make_generator<at::CPUGeneratorImpl>(11);
    draw(256, kMean, kStd, g);
    const LikelihoodBatch exact = log_likelihood_bound(sde, oracle, exact_options(), x, g);
    CHECK((r.log_likelihood - exact.log_likelihood).abs().max().item<double>() < 1e-9);
  } else {
    CHECK(e.standard_error > 1e-3);  // Gaussian probes really are noisy here
  }
}

TEST_CASE("likelihood: more probes shrink Hutchinson's spread", "[likelihood]") {
  const LinearSde sde = preset("hold");
  GaussianMixtureOracle oracle(sde, single_gaussian(kMean, kStd));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const at::Tensor x = draw(128, kMean, kStd, gen);
  LikelihoodOptions o = exact_options();
  o.trace = "hutchinson";
  o.probe = "gaussian";
  double spread[2];
  for (int i = 0; i < 2; ++i) {
    o.probes = i == 0 ? 1 : 16;
    auto g = at::make_generator<at::CPUGeneratorImpl>(9);
    const LikelihoodBatch r = log_likelihood_bound(sde, oracle, o, x, g);
    spread[i] = (r.log_likelihood - gaussian_log_prob(x, kMean, kStd)).std().item<double>();
  }
  // The estimate's std falls as 1/sqrt(probes): 4x here, allow 2.5x.
  CHECK(spread[1] * 2.5 < spread[0]);
}

TEST_CASE("likelihood: 8-bit images give the bits/dim of the discretised Gaussian", "[likelihood]") {
  // Pixels k = round of a Gaussian in the centred space; the oracle knows that
  // Gaussian, so the bound on each dequantised image is its exact log-density.
  const std::string name = GENERATE(as<std::string>{}, "vp", "hold");
  const LinearSde sde = preset(name);
  const int64_t side = 3, dim = side * side;
  const double m = 0.1, s = 0.4;
  GaussianMixtureOracle oracle(sde, single_gaussian(std::vector<double>(dim, m), std::vector<double>(dim, s)));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const at::Tensor centred = at::empty({200, 1, side, side}, at::kDouble).normal_(m, s, gen);
  const at::Tensor pixels = ((centred + 1) * 127.5).round().clamp(0, 255).to(at::kByte);

  auto deq_gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const at::Tensor x = dequantize(pixels, deq_gen);
  CHECK(x.min().item<double>() >= -1.0);
  CHECK(x.max().item<double>() < 1.0);
  // Each value lies in its pixel's bin [2k/256 − 1, 2(k+1)/256 − 1).
  const at::Tensor k = pixels.to(at::kDouble);
  CHECK(((x + 1) * 128 - k).min().item<double>() >= 0.0);
  CHECK(((x + 1) * 128 - k).max().item<double>() < 1.0);

  LikelihoodOptions o = exact_options();
  o.trace = "hutchinson";  // Rademacher: exact for this diagonal Jacobian
  const LikelihoodBatch r = log_likelihood_bound(sde, oracle, o, x, deq_gen);
  const at::Tensor bpd = bits_per_dim(r.log_likelihood, dim);
  const std::vector<double> mean(dim, m), std(dim, s);
  const at::Tensor exact = bits_per_dim(gaussian_log_prob(x, mean, std), dim);
  CHECK(std::abs((bpd - exact).mean().item<double>()) < 1e-3);

  // And the formula of math.md §5 for the expected value over the
  // dequantisation noise: per pixel with bin centre c and width w = 2/256,
  //   E[−log N(x')] = ½ log(2π s²) + ((c − m)² + w²/12) / (2 s²).
  const double w = 2.0 / 256;
  const at::Tensor c = (k + 0.5) * w - 1;
  const at::Tensor nats =
      (0.5 * std::log(2 * M_PI * s * s) + ((c - m).pow(2) + w * w / 12) / (2 * s * s)).flatten(1).sum(1);
  const at::Tensor predicted = nats / (dim * std::log(2.0)) + 7.0;
  const MeanWithError diff = mean_with_error(bpd - predicted);
  INFO(name << ": bits/dim " << bpd.mean().item<double>() << ", predicted " << predicted.mean().item<double>()
            << ", difference " << diff.mean << " +- " << diff.standard_error);
  // 1e-3 bits/dim: a 255-for-256 bin width alone would be off by 0.0056.
  CHECK(std::abs(diff.mean) <= 3 * diff.standard_error + 1e-3);
}

TEST_CASE("likelihood: unit conversions and the summary", "[likelihood]") {
  // A point of d = 2 with log-density −2 ln 2 · 3 nats: 3 bits/dim before the offset.
  const at::Tensor ll = at::tensor({-6.0 * std::log(2.0)}, at::kDouble);
  CHECK(bits_per_dim(ll, 2).item<double>() == Approx(3.0 + 7.0).epsilon(1e-14));
  CHECK(nats_per_dim(ll, 2).item<double>() == Approx(3.0 * std::log(2.0)).epsilon(1e-14));
  const MeanWithError e = mean_with_error(at::tensor({1.0, 2.0, 3.0, 4.0}, at::kDouble));
  CHECK(e.n == 4);
  CHECK(e.mean == Approx(2.5));
  CHECK(e.standard_error == Approx(std::sqrt(5.0 / 3.0) / 2.0).epsilon(1e-14));
}

}  // namespace hold
