// Toy data sets: the multi swiss roll's geometry and roll frequencies, the
// 1-D mixture's exact moments, and the factory.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <string>
#include <vector>

#include "hold/core/error.h"
#include "hold/data/toy_dataset.h"
#include "hold/io/config.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {

TEST_CASE("swiss roll points lie on their roll and the rolls are equally likely", "[data]") {
  DataConfig config;  // swissroll, noise 0.2, scale 0.01
  const auto data = make_toy_dataset(config);
  REQUIRE(data->dim() == 2);
  const int64_t n = 20000;
  const at::Tensor x = data->sample(n, at::make_generator<at::CPUGeneratorImpl>(11));
  REQUIRE(x.scalar_type() == at::kFloat);
  REQUIRE(x.sizes() == at::IntArrayRef({n, 2}));
  const at::Tensor p = x.to(at::kDouble);
  std::vector<double> centres;
  for (const auto& c : swissroll_centres()) centres.insert(centres.end(), {c[0], c[1]});
  const at::Tensor c = at::tensor(centres, at::kDouble).view({5, 2});
  const at::Tensor dist = at::cdist(p, c);  // [n, 5]
  const auto [nearest, roll] = dist.min(/*dim=*/1);
  // Radius t·scale with t ∈ [1.5π, 4.5π] = [0.0471, 0.1414], plus noise
  // 0.2·0.01 = 2e-3 per coordinate (5 SD·√2 < 0.0142).
  CHECK(nearest.max().item<double>() <= 0.1414 + 0.0142);
  CHECK(nearest.max().item<double>() >= 0.13);
  CHECK(nearest.min().item<double>() >= 0.0471 - 0.0142);
  CHECK(nearest.min().item<double>() <= 0.0471);  // the noise is there: some points fall inside
  // Each roll has probability 1/5: count ~ Binomial(n, 0.2), SE = sqrt(n·0.2·0.8)
  // = 56.6; 5 SE makes a false failure ~6e-7 per roll.
  const at::Tensor counts = at::bincount(roll, /*weights=*/{}, /*minlength=*/5);
  const double se = std::sqrt(n * 0.2 * 0.8);
  for (int k = 0; k < 5; ++k) {
    INFO("roll " << k);
    CHECK(std::fabs(counts[k].item<double>() - n / 5.0) < 5 * se);
  }
  // Same seed, same points.
  CHECK(at::equal(x, data->sample(n, at::make_generator<at::CPUGeneratorImpl>(11))));
}

TEST_CASE("Labelled draws are the plain draws with their class: the component, the roll", "[data][classes]") {
  // The five-mode mixture: each point's label is its component, here the nearest centre (16 std apart).
  const RunConfig c = load_config(std::string(HOLD_SOURCE_DIR) + "/configs/oracle_gmm2d_hold.yaml");
  const auto mixture = make_toy_dataset(c.data);
  REQUIRE(mixture->num_classes() == 5);
  const LabelledData d = mixture->sample_labelled(4000, at::make_generator<at::CPUGeneratorImpl>(3));
  CHECK(at::equal(d.x, mixture->sample(4000, at::make_generator<at::CPUGeneratorImpl>(3))));
  const at::Tensor means =
      at::tensor(std::vector<double>{0, 0, 0.8, 0.8, 0.8, -0.8, -0.8, -0.8, -0.8, 0.8}).view({5, 2});
  CHECK(at::equal(at::cdist(d.x.to(at::kDouble), means).argmin(1), d.labels));
  // The swiss roll: the label is the roll, the same draws as sample().
  const auto rolls = make_toy_dataset(DataConfig{});
  REQUIRE(rolls->num_classes() == 5);
  const LabelledData r = rolls->sample_labelled(2000, at::make_generator<at::CPUGeneratorImpl>(4));
  CHECK(at::equal(r.x, rolls->sample(2000, at::make_generator<at::CPUGeneratorImpl>(4))));
  std::vector<double> centres;
  for (const auto& ctr : swissroll_centres()) centres.insert(centres.end(), {ctr[0], ctr[1]});
  CHECK(at::equal(at::cdist(r.x.to(at::kDouble), at::tensor(centres, at::kDouble).view({5, 2})).argmin(1), r.labels));
  CHECK(make_checkerboard_dataset()->num_classes() == 0);
}

TEST_CASE("checkerboard points fill the 8 cells of FFJORD's board equally", "[data]") {
  DataConfig config;
  config.name = "checkerboard";
  const auto data = make_toy_dataset(config);
  REQUIRE(data->dim() == 2);
  const int64_t n = 32000;
  const at::Tensor x = data->sample(n, at::make_generator<at::CPUGeneratorImpl>(4)).to(at::kDouble);
  CHECK(x.abs().max().item<double>() <= 4.0);
  // Cell (⌊x₁/2⌋, ⌊x₂/2⌋) ∈ {−2, …, 1}²: filled iff the sum is even.
  const at::Tensor cell = at::floor(x / 2.0);
  CHECK(at::remainder(cell.sum(1), 2.0).abs().max().item<double>() == 0.0);
  const at::Tensor index = (cell.select(1, 0) + 2) * 4 + (cell.select(1, 1) + 2);
  const at::Tensor counts = at::bincount(index.to(at::kLong), {}, 16).to(at::kDouble);
  const double p = 1.0 / 8, se = std::sqrt(p * (1 - p) / double(n));
  int filled = 0;
  for (int64_t c = 0; c < 16; ++c) {
    const double share = counts[c].item<double>() / double(n);
    if (share == 0) continue;
    ++filled;
    INFO("cell " << c << ": " << share);
    CHECK(std::abs(share - p) < 5 * se);
  }
  CHECK(filled == 8);
  // Uniform inside a cell: the mean position within cells is the centre.
  const at::Tensor offset = x - 2.0 * cell;  // in [0, 2)²
  CHECK(std::abs(offset.mean().item<double>() - 1.0) < 5 * std::sqrt(1.0 / 3.0 / double(2 * n)));
}

TEST_CASE("gmm1d sample moments match the mixture's exact mean and variance", "[data]") {
  DataConfig config;
  config.name = "gmm1d";  // mixture left empty: the documented default
  const auto data = make_toy_dataset(config);
  REQUIRE(data->dim() == 1);
  const GaussianMixture m = default_gmm1d_mixture();
  // Exact moments: mean μ = Σπm, variance σ² = Σπ(s² + (m−μ)²), central 4th
  // moment μ₄ = Σπ(d⁴ + 6d²s² + 3s⁴), d = m − μ.
  double mu = 0;
  for (int j = 0; j < 3; ++j) mu += m.weights[j] * m.means[j][0];
  double var = 0, mu4 = 0;
  for (int j = 0; j < 3; ++j) {
    const double d = m.means[j][0] - mu, s2 = m.stds[j][0] * m.stds[j][0];
    var += m.weights[j] * (s2 + d * d);
    mu4 += m.weights[j] * (d * d * d * d + 6 * d * d * s2 + 3 * s2 * s2);
  }
  CHECK(var == Approx(0.22278).epsilon(1e-4));  // .3(.0025+.36) + .4(.0144) + .3(.0009+.36)
  const int64_t n = 200000;
  const at::Tensor x = data->sample(n, at::make_generator<at::CPUGeneratorImpl>(5)).to(at::kDouble).view({-1});
  // SE of the mean sqrt(σ²/n) ≈ 1.1e-3; of the variance sqrt((μ₄ − σ⁴)/n) ≈ 3.6e-4.
  // 5 SE: a false failure has probability ~6e-7 each.
  const double se_mean = std::sqrt(var / n), se_var = std::sqrt((mu4 - var * var) / n);
  CHECK(std::fabs(x.mean().item<double>() - mu) < 5 * se_mean);
  CHECK(std::fabs(x.var(/*unbiased=*/true).item<double>() - var) < 5 * se_var);
}

TEST_CASE("make_toy_dataset builds gmm from the config and rejects unknown names", "[data]") {
  DataConfig config;
  config.name = "gmm";
  config.mixture.weights = {0.5, 0.5};
  config.mixture.means = {{1, 2}, {-1, -2}};
  config.mixture.stds = {{0.1, 0.1}, {0.1, 0.1}};
  const auto data = make_toy_dataset(config);
  CHECK(data->dim() == 2);
  const at::Tensor x = data->sample(10, at::make_generator<at::CPUGeneratorImpl>(1));
  CHECK(x.sizes() == at::IntArrayRef({10, 2}));
  CHECK(x.scalar_type() == at::kFloat);
  config.name = "moons";
  CHECK_THROWS_AS(make_toy_dataset(config), ConfigError);
}

}  // namespace hold
