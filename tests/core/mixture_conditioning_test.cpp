// core/mixture_conditioning.h: the exact conditional of the five-mode
// mixture, in closed form and sampled through the oracle by em and lt (the
// exact conditional sampler of issue 14: weights within ±0.015).
#include "hold/core/mixture_conditioning.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "hold/core/error.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/samplers/sampler.h"
#include "support/five_modes.h"
#include "support/preset.h"

namespace hold {

TEST_CASE("Conditioning the five-mode mixture on its first coordinate reweights the components", "[core][oracle]") {
  GaussianMixture m = test::five_mode_mixture();
  m.validate("test");
  // At 0.8 the two right-hand modes remain (the others are 16 std away).
  const GaussianMixture right = condition_mixture(m, {0}, {0.8});
  REQUIRE(right.dim() == 1);
  double kept = 0.0;
  for (int j = 0; j < right.num_components(); ++j) {
    if (std::abs(right.means[j][0]) == 0.8 && right.weights[j] > 1e-6) kept += right.weights[j];
  }
  CHECK(kept == Approx(1.0).margin(1e-12));
  // At 0.4 the centre mode and the two right-hand ones are equally likely.
  const GaussianMixture middle = condition_mixture(m, {0}, {0.4});
  double total = 0.0;
  for (int j = 0; j < middle.num_components(); ++j) {
    if (middle.weights[j] > 1e-6) CHECK(middle.weights[j] == Approx(1.0 / 3).epsilon(1e-12));
    total += middle.weights[j];
  }
  CHECK(total == Approx(1.0).epsilon(1e-14));
  // Unequal stds enter through the density: N(x; m, s²) ∝ exp(−z²/2)/s.
  GaussianMixture two;
  two.weights = {1, 1};
  two.means = {{0, 5}, {0, -5}};
  two.stds = {{1, 1}, {2, 1}};
  const GaussianMixture c = condition_mixture(two, {0}, {1.0});
  CHECK(c.weights[0] / c.weights[1] == Approx(std::exp(-0.5 + 0.125) * 2).epsilon(1e-12));
  CHECK(c.means[1][0] == -5);

  CHECK_THROWS_AS(condition_mixture(m, {2}, {0.0}), UsageError);
  CHECK_THROWS_AS(condition_mixture(m, {0, 0}, {0.0, 0.0}), UsageError);
  CHECK_THROWS_AS(condition_mixture(m, {0, 1}, {0.0, 0.0}), UsageError);
  CHECK_THROWS_AS(condition_mixture(m, {0}, {}), UsageError);
}

TEST_CASE("The oracle of the conditioned mixture samples the exact conditional (weights ±0.015)", "[core][oracle]") {
  // 10000 samples of the second coordinate, 150 NFE, quadratic grid; modes
  // by the nearest of −0.8, 0, 0.8.
  const std::string sde_name = GENERATE("vp", "cld", "hold");
  const std::string method = GENERATE("em", "lt");
  CAPTURE(sde_name, method);
  const LinearSde sde = preset(sde_name);
  GaussianMixture m = test::five_mode_mixture();
  m.validate("test");
  struct Case {
    double known;
    std::vector<double> modes, weights;
  };
  for (const Case& c : {Case{0.8, {-0.8, 0.8}, {0.5, 0.5}}, Case{0.4, {-0.8, 0.0, 0.8}, {1.0 / 3, 1.0 / 3, 1.0 / 3}}}) {
    CAPTURE(c.known);
    GaussianMixtureOracle oracle(sde, condition_mixture(m, {0}, {c.known}));
    SamplerOptions o;
    o.method = method;
    o.nfe = 150;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
    const at::Tensor y = sample(sde, oracle, o, {1}, 10000, gen).x.to(at::kDouble).reshape({-1});
    const at::Tensor centres = at::tensor(c.modes, at::kDouble);
    const at::Tensor nearest = (y.unsqueeze(1) - centres).abs().argmin(1);
    for (size_t k = 0; k < c.modes.size(); ++k) {
      CAPTURE(c.modes[k]);
      CHECK((nearest == static_cast<int64_t>(k)).sum().item<double>() / 10000 == Approx(c.weights[k]).margin(0.015));
    }
    // Nothing far from every mode (4 std).
    CHECK((y.unsqueeze(1) - centres).abs().amin(1).gt(0.2).sum().item<int64_t>() <= 50);
  }
}

}  // namespace hold
