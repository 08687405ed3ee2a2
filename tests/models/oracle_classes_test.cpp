// The oracle with the mixture's components as classes (issue 14 item 4):
// its log-responsibilities are the exact noise-conditional classifier, so
// Bayes' rule s(u | y) = s(u) + ∇_{u_K} log p(y | u) must give the score of
// the component's own oracle, and guided sampling returns that component.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "hold/io/config.h"
#include "hold/metrics/mixture_modes.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/models/guided_score_model.h"
#include "hold/models/oracle_classifier.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/blocks.h"
#include "support/five_modes.h"
#include "support/preset.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {
namespace {

/// ∇_u log p_t(y = j | u) of the oracle classifier by autograd: every block.
at::Tensor autograd_class_gradient(const GaussianMixtureOracle& oracle, const at::Tensor& u, const at::Tensor& t,
                                   int j) {
  at::AutoGradMode grad(true);
  const at::Tensor x = u.detach().to(at::kDouble).requires_grad_(true);
  oracle.log_responsibilities(x, t).select(1, j).sum().backward();
  return x.grad().to(u.scalar_type());
}

double max_abs(const at::Tensor& t) { return t.abs().max().item<double>(); }

/// The SDE of configs/oracle_gmm2d_<name>.yaml (the five-mode oracle configs).
LinearSde oracle_config_sde(const std::string& name) {
  return make_sde(load_config(std::string(HOLD_SOURCE_DIR) + "/configs/oracle_gmm2d_" + name + ".yaml").sde);
}

}  // namespace

TEST_CASE("The oracle classifier with Bayes' rule gives the component's own score", "[models][oracle]") {
  const GaussianMixture m = test::five_mode_mixture();
  for (const std::string name : {"vp", "cld", "hold"}) {
    CAPTURE(name);
    const LinearSde sde = preset(name);
    const int64_t k = sde.num_blocks();
    GaussianMixtureOracle oracle(sde, m);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
    const at::Tensor u = sde.prior_sample({64, 2 * k}, gen, at::kDouble);
    for (double time : {0.05, 0.3, 0.9}) {
      const at::Tensor t = at::full({64}, time, at::kDouble);
      CHECK(oracle.log_responsibilities(u, t).exp().sum(1).sub(1).abs().max().item<double>() <= 1e-12);
      for (int j : {0, 3}) {
        CAPTURE(time, j);
        GaussianMixtureOracle alone(sde, m.component(j));
        const at::Tensor by_autograd = autograd_class_gradient(oracle, u, t, j);
        const at::Tensor bayes = oracle.score(u, t) + last_block(by_autograd, k);
        const at::Tensor exact = alone.score(u, t);
        CHECK(max_abs(bayes - exact) <= 1e-8 * std::max(1.0, max_abs(exact)));
        // The closed form s_j − s equals autograd's gradient, last block and all blocks.
        const double scale = std::max(1.0, max_abs(by_autograd));
        CHECK(max_abs(oracle.class_gradient(u, t, j) - last_block(by_autograd, k)) <= 1e-9 * scale);
        CHECK(max_abs(oracle.class_gradient(u, t, j, true) - by_autograd) <= 1e-9 * scale);
        const at::Tensor full_bayes = oracle.full_score(u, t) + by_autograd;
        CHECK(max_abs(full_bayes - alone.full_score(u, t)) <= 1e-8 * std::max(1.0, max_abs(full_bayes)));
      }
    }
  }
}

TEST_CASE("Guidance by the oracle classifier returns only the requested component; scale 0 is unguided",
          "[models][oracle]") {
  const GaussianMixture m = test::five_mode_mixture();
  const LinearSde sde = preset("hold");
  GaussianMixtureOracle oracle(sde, m);
  OracleClassifier classifier(oracle);
  REQUIRE(classifier.num_classes() == 5);
  SamplerOptions o;  // ei at 50 NFE: within ±3 % of the mode widths unguided (docs/results.md)
  o.method = "ei";
  o.nfe = 50;
  const int cls = 1;  // centre (0.8, 0.8)
  ClassifierGuidedModel guided(oracle, classifier, cls, 1.0);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const at::Tensor x = sample(sde, guided, o, {2}, 4000, gen).x.to(at::kDouble);
  const at::Tensor centre = test::five_mode_centres()[cls];
  const at::Tensor dist = (x - centre).norm(2, 1);
  CHECK(dist.lt(4 * 0.05).to(at::kDouble).mean().item<double>() >= 0.99);
  const double pooled_std = x.var(0).mean().sqrt().item<double>();
  CHECK(pooled_std == Approx(0.05).epsilon(0.10));

  // Scale 0 adds exactly nothing: the unguided samples bit for bit (em draws noise too).
  ClassifierGuidedModel unguided(oracle, classifier, cls, 0.0);
  for (const std::string method : {"ei", "em"}) {
    CAPTURE(method);
    o.method = method;
    auto g1 = at::make_generator<at::CPUGeneratorImpl>(4);
    auto g2 = at::make_generator<at::CPUGeneratorImpl>(4);
    CHECK(at::equal(sample(sde, unguided, o, {2}, 256, g1).x, sample(sde, oracle, o, {2}, 256, g2).x));
  }
}

TEST_CASE("Class-conditional sampling of the five-mode oracle: the exact class score and the oracle classifier",
          "[models][oracle][classes]") {
  // configs/oracle_gmm2d_{vp,cld,hold}.yaml, em and lt at 150 NFE, 3000
  // float32 samples of class 2 (centre (0.8, −0.8)). Issue 14: ≥ 99 % within
  // 4 std of the class's mean, its std within ±10 %.
  const std::string name = GENERATE("vp", "cld", "hold");
  const std::string method = GENERATE("em", "lt");
  CAPTURE(name, method);
  const LinearSde sde = oracle_config_sde(name);
  const GaussianMixture m = test::five_mode_mixture();
  const int cls = 2;
  GaussianMixtureOracle oracle(sde, m);
  OracleClassifier classifier(oracle);
  GaussianMixtureOracle class_score(sde, m.component(cls));
  ClassifierGuidedModel guided(oracle, classifier, cls, 1.0);
  SamplerOptions o;
  o.method = method;
  o.nfe = 150;
  for (const bool by_classifier : {false, true}) {
    CAPTURE(by_classifier);
    ScoreModel& model = by_classifier ? static_cast<ScoreModel&>(guided) : class_score;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(6);
    const at::Tensor x = sample(sde, model, o, {2}, 3000, gen).x.to(at::kDouble);
    const double within =
        (x - test::five_mode_centres()[cls]).norm(2, 1).lt(4 * 0.05).to(at::kDouble).mean().item<double>();
    const ModeStats mode = mixture_modes(x, m).modes[cls];
    std::printf("classes %s/%s %s: within 4 std %.4f, in the component %.4f, std error %+.2f %%\n", name.c_str(),
                method.c_str(), by_classifier ? "classifier" : "class score", within, mode.weight,
                100 * mode.std_error);
    CHECK(within >= 0.99);
    CHECK(std::abs(mode.std_error) <= 0.10);
  }
}

}  // namespace hold
