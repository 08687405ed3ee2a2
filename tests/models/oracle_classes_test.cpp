// The oracle with the mixture's components as classes (issue 14 item 4):
// its log-responsibilities are the exact noise-conditional classifier, so
// Bayes' rule s(u | y) = s(u) + ∇_{u_K} log p(y | u) must give the score of
// the component's own oracle, and guided sampling returns that component.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/blocks.h"
#include "support/five_modes.h"
#include "support/preset.h"

namespace hold {
namespace {

/// Component j of the mixture alone: the exact class-conditional law.
GaussianMixture component(const GaussianMixture& m, int j) {
  GaussianMixture c;
  c.weights = {1.0};
  c.means = {m.means[j]};
  c.stds = {m.stds[j]};
  return c;
}

/// ∇_{u_K} log p_t(y = j | u) of the oracle classifier, by autograd.
at::Tensor class_gradient(const GaussianMixtureOracle& oracle, const at::Tensor& u, const at::Tensor& t, int j,
                          int64_t k) {
  at::AutoGradMode grad(true);
  const at::Tensor x = u.detach().to(at::kDouble).requires_grad_(true);
  oracle.log_responsibilities(x, t).select(1, j).sum().backward();
  return last_block(x.grad(), k).to(u.scalar_type());
}

/// Classifier guidance with the oracle classifier: s(u) + w ∇_{u_K} log p(y | u).
struct Guided : ScoreModel {
  Guided(GaussianMixtureOracle& oracle, int cls, double scale, int64_t k)
      : oracle(oracle), cls(cls), scale(scale), k(k) {}
  at::Tensor score(const at::Tensor& u, const at::Tensor& t) override {
    return oracle.score(u, t) + scale * class_gradient(oracle, u, t, cls, k);
  }
  GaussianMixtureOracle& oracle;
  int cls;
  double scale;
  int64_t k;
};

}  // namespace

TEST_CASE("The oracle classifier with Bayes' rule gives the component's own score", "[models][oracle]") {
  const GaussianMixture m = test::five_mode_mixture();
  for (const std::string name : {"vp", "cld", "hold"}) {
    CAPTURE(name);
    const LinearSde sde = preset(name);
    GaussianMixtureOracle oracle(sde, m);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
    const at::Tensor u = sde.prior_sample({64, 2 * sde.num_blocks()}, gen, at::kDouble);
    for (double time : {0.05, 0.3, 0.9}) {
      const at::Tensor t = at::full({64}, time, at::kDouble);
      CHECK(oracle.log_responsibilities(u, t).exp().sum(1).sub(1).abs().max().item<double>() <= 1e-12);
      for (int j : {0, 3}) {
        CAPTURE(time, j);
        GaussianMixtureOracle alone(sde, component(m, j));
        const at::Tensor bayes = oracle.score(u, t) + class_gradient(oracle, u, t, j, sde.num_blocks());
        const at::Tensor exact = alone.score(u, t);
        CHECK((bayes - exact).abs().max().item<double>() <= 1e-8 * std::max(1.0, exact.abs().max().item<double>()));
      }
    }
  }
}

TEST_CASE("Guidance by the oracle classifier returns only the requested component; scale 0 is unguided",
          "[models][oracle]") {
  const GaussianMixture m = test::five_mode_mixture();
  const LinearSde sde = preset("hold");
  GaussianMixtureOracle oracle(sde, m);
  SamplerOptions o;  // ei at 50 NFE: within ±3 % of the mode widths unguided (docs/results.md)
  o.method = "ei";
  o.nfe = 50;
  const int cls = 1;  // centre (0.8, 0.8)
  Guided guided(oracle, cls, 1.0, sde.num_blocks());
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const at::Tensor x = sample(sde, guided, o, {2}, 4000, gen).x.to(at::kDouble);
  const at::Tensor centre = test::five_mode_centres()[cls];
  const at::Tensor dist = (x - centre).norm(2, 1);
  CHECK(dist.lt(4 * 0.05).to(at::kDouble).mean().item<double>() >= 0.99);
  const double pooled_std = x.var(0).mean().sqrt().item<double>();
  CHECK(pooled_std == Approx(0.05).epsilon(0.10));

  Guided unguided(oracle, cls, 0.0, sde.num_blocks());
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(4);
  auto g2 = at::make_generator<at::CPUGeneratorImpl>(4);
  CHECK(at::equal(sample(sde, unguided, o, {2}, 256, g1).x, sample(sde, oracle, o, {2}, 256, g2).x));
}

}  // namespace hold
