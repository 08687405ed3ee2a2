// The ε-parameterisation of the score (math.md §3): s = −ε_θ/ℓ_t, and the
// mixed score s = s_gauss − ε_θ/ℓ_t.
#include "hold/models/eps_score_model.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>

#include "hold/io/config.h"
#include "hold/models/eps_network.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/objectives/objective.h"
#include "hold/sde/blocks.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/presets.h"
#include "hold/train/run_components.h"
#include "support/allclose.h"
#include "support/function_network.h"
#include "support/preset.h"

using namespace hold;
using hold::test::FunctionNetwork;

namespace {

/// Exact score −[Σᵐ_t⁻¹ u]_K of the marginal for zero-mean data of variance
/// `var` (Σᵐ_t = Φ diag(var, εΣ∞_22, …) Φᵀ + Q), at per-sample times.
at::Tensor centred_gaussian_score(const LinearSde& sde, const at::Tensor& u, const at::Tensor& t, double var) {
  const int64_t n = u.size(0), k = sde.num_blocks();
  auto out = at::empty({n, u.size(1) / k}, at::kDouble);
  Mat sigma0 = sde.default_initial_cov();
  sigma0(0, 0) = var;
  for (int64_t i = 0; i < n; ++i) {
    const auto prec = at::linalg_inv(to_tensor(sde.marginal_cov(t[i].item<double>(), sigma0)));
    out[i] = -at::matmul(prec[k - 1], u[i].view({k, -1}));
  }
  return out;
}

GaussianMixture three_modes() {
  GaussianMixture m;
  m.weights = {0.3, 0.4, 0.3};
  m.means = {{-0.6}, {0.0}, {0.6}};
  m.stds = {{0.05}, {0.12}, {0.03}};
  return m;
}

}  // namespace

TEST_CASE("EpsScoreModel with the exact eps reproduces the exact score", "[models]") {
  const std::string name = GENERATE(std::string("vp"), std::string("cld"), std::string("hold"));
  const LinearSde sde = preset(name);
  const Objective objective(sde, ObjectiveConfig{});
  GaussianMixtureOracle oracle(sde, three_modes());
  auto net = std::make_shared<FunctionNetwork>(
      [&](const at::Tensor& u, const at::Tensor& t) { return oracle.eps(u, t, objective.sigma0()); });
  EpsScoreModel model(net, sde, objective.sigma0());
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const int64_t n = 64, k = sde.num_blocks();
  const auto u = at::normal(0, 0.5, {n, k}, gen, at::TensorOptions().dtype(at::kDouble));

  SECTION("one time for the batch, several times in a row (the cache follows t)") {
    for (double t : {0.5, 0.01, 0.5, 1e-3}) {
      const auto tt = at::full({n}, t, at::kDouble);
      INFO(name << " t = " << t);
      CHECK_ALLCLOSE_REL(model.score(u, tt), oracle.score(u, tt), 1e-10, 1e-9);
      CHECK(model.ell(t) == sde.ell(t, objective.sigma0()));
    }
  }
  SECTION("per-sample times") {
    const auto t = at::rand({n}, gen, at::TensorOptions().dtype(at::kDouble)) * 0.99 + 0.01;
    CHECK_ALLCLOSE_REL(model.score(u, t), oracle.score(u, t), 1e-10, 1e-9);
  }
  SECTION("float32 state in, float32 score out") {
    const auto tt = at::full({n}, 0.3, at::kDouble);
    const auto s = model.score(u.to(at::kFloat), tt);
    CHECK(s.scalar_type() == at::kFloat);
    CHECK_ALLCLOSE_REL(s, oracle.score(u, tt), 1e-4, 1e-4);
  }
}

TEST_CASE("The mixed score adds s_gauss = -[(Sigma^g_t)^-1 u]_K to -eps/ell", "[models]") {
  // For data N(0, I) the exact score is s_gauss itself, so a network that
  // predicts 0 is exact under the mixed parameterisation; a constant ε = 1
  // shifts the score by −1/ℓ_t.
  const std::string name = GENERATE(std::string("vp"), std::string("cld"), std::string("hold"));
  const LinearSde sde = preset(name);
  const Objective objective(sde, ObjectiveConfig{});
  const double eps_value = GENERATE(0.0, 1.0);
  auto net = std::make_shared<FunctionNetwork>([&](const at::Tensor& u, const at::Tensor&) {
    return at::full({u.size(0), u.size(1) / sde.num_blocks()}, eps_value, u.options());
  });
  EpsScoreModel model(net, sde, objective.sigma0(), /*mixed_score=*/true);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(6);
  const int64_t n = 32, k = sde.num_blocks(), d = 2;
  const auto u = at::normal(0, 1, {n, k * d}, gen, at::TensorOptions().dtype(at::kDouble));
  for (double t : {1e-3, 0.2, 1.0}) {
    const auto tt = at::full({n}, t, at::kDouble);
    const auto expected = centred_gaussian_score(sde, u, tt, 1.0) - eps_value / model.ell(t);
    INFO(name << " t = " << t << " eps = " << eps_value);
    CHECK_ALLCLOSE_REL(model.score(u, tt), expected, 1e-10, 1e-9);
  }
  const auto t = at::rand({n}, gen, at::TensorOptions().dtype(at::kDouble)) * 0.9 + 0.1;
  auto inv_ell = at::empty({n, 1}, at::kDouble);
  for (int64_t i = 0; i < n; ++i) inv_ell[i][0] = 1.0 / model.ell(t[i].item<double>());
  CHECK_ALLCLOSE_REL(model.score(u, t), centred_gaussian_score(sde, u, t, 1.0) - eps_value * inv_ell, 1e-10, 1e-9);
  // What training compares with z_K: the ε the model stands for, −ℓ_t s.
  CHECK_ALLCLOSE_REL(model.predict_eps(u, t), -model.score(u, t) / inv_ell, 1e-10, 1e-9);
  CHECK_ALLCLOSE_REL(model.predict_eps(u, at::full({n}, 0.2, at::kDouble)),
                     -model.score(u, at::full({n}, 0.2, at::kDouble)) * model.ell(0.2), 1e-10, 1e-9);
}

TEST_CASE("The factory builds the network and score model a config names", "[models]") {
  const RunConfig mlp = parse_config(R"(
sde: {name: hold}
data: {name: swissroll}
model: {name: mlp, hidden: 8, layers: 3, mixed_score: true}
)",
                                     "factory_test");
  const LinearSde sde = make_sde(mlp.sde);
  auto net = make_network(mlp, 2);
  REQUIRE(net != nullptr);
  CHECK(net->forward(at::zeros({4, 6}), at::zeros({4})).sizes() == at::IntArrayRef({4, 2}));
  auto model = make_score_model(mlp, sde, net);
  auto* eps_model = dynamic_cast<EpsScoreModel*>(model.get());
  REQUIRE(eps_model != nullptr);
  CHECK(eps_model->mixed_score());
  CHECK(eps_model->network_ptr() == net);
  CHECK(eps_model->ell(0.5) == sde.ell(0.5, sde.default_initial_cov()));

  const RunConfig oracle =
      parse_config("sde: {name: cld}\ndata: {name: gmm1d}\nmodel: {name: oracle}\n", "factory_test");
  const LinearSde cld = make_sde(oracle.sde);
  CHECK(make_network(oracle, 1) == nullptr);
  auto exact = make_score_model(oracle, cld, nullptr);
  CHECK(dynamic_cast<GaussianMixtureOracle*>(exact.get()) != nullptr);
  CHECK(exact->score(at::zeros({3, 2}, at::kDouble), at::full({3}, 0.5, at::kDouble)).sizes() ==
        at::IntArrayRef({3, 1}));
}
