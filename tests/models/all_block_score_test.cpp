// objective.target: all (math.md §9.4): the network predicts ε of every block,
// z with u_t = μ_t + L_t z, and stands for the full-state score
// s = −L_t⁻ᵀ ε_θ (+ s_gauss when mixed), whose last block is the last-block
// model's score.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <memory>
#include <string>

#include "hold/core/error.h"
#include "hold/io/config.h"
#include "hold/models/eps_network.h"
#include "hold/models/eps_score_model.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/objectives/objective.h"
#include "hold/sde/blocks.h"
#include "hold/sde/linear_sde.h"
#include "hold/train/run_components.h"
#include "support/allclose.h"
#include "support/function_network.h"
#include "support/preset.h"

using namespace hold;
using hold::test::FunctionNetwork;

namespace {

/// (M_i ⊗ I) v per sample with M_i = m_of(t_i), by explicit loops (the reference).
at::Tensor apply_per_sample(const LinearSde& sde, const at::Tensor& v, const at::Tensor& t,
                            const std::function<Mat(double)>& m_of) {
  const int64_t n = v.size(0), k = sde.num_blocks();
  auto out = at::empty_like(v);
  for (int64_t i = 0; i < n; ++i) {
    const auto m = to_tensor(m_of(t[i].item<double>()));
    out[i] = at::matmul(m, v[i].view({k, -1})).view(v[i].sizes());
  }
  return out;
}

ObjectiveConfig all_blocks_objective() {
  ObjectiveConfig c;
  c.target = "all";
  return c;
}

}  // namespace

TEST_CASE("An all-block model's full score is -L^-T eps; its last block is the score", "[models]") {
  const std::string name = GENERATE(std::string("cld"), std::string("hold"));
  const bool mixed = GENERATE(false, true);
  const LinearSde sde = preset(name);
  const Objective objective(sde, all_blocks_objective());
  const int64_t n = 24, k = sde.num_blocks(), d = 2;
  // Any smooth function of (u, t) with K·d outputs.
  auto net = std::make_shared<FunctionNetwork>([](const at::Tensor& u, const at::Tensor& t) {
    return at::sin(3.0 * u) * (1.0 + t.view({-1, 1})) + 0.1 * u.roll(1, 1);
  });
  EpsScoreModel model(net, sde, objective.sigma0(), mixed, /*all_blocks=*/true);
  REQUIRE(model.has_full_score());
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const auto u = at::normal(0, 0.7, {n, k * d}, gen, at::TensorOptions().dtype(at::kDouble));
  const auto l_t = [&](double t) { return sde.marginal_factor(t, objective.sigma0()); };
  for (const bool same_t : {true, false}) {
    const auto t = same_t ? at::full({n}, 0.3, at::kDouble)
                          : at::rand({n}, gen, at::TensorOptions().dtype(at::kDouble)) * 0.99 + 1e-3;
    INFO(name << (mixed ? " mixed" : " plain") << (same_t ? ", one time" : ", per-sample times"));
    const auto s = model.full_score(u, t);
    REQUIRE(s.sizes() == u.sizes());
    // The last block of the full score is score() (the last row of L⁻ᵀ is e_Kᵀ/ℓ).
    CHECK_ALLCLOSE_REL(last_block(s, k), model.score(u, t), 1e-10, 1e-9);
    // −L_tᵀ s is the ε training compares with z: ε_θ, or ε_θ − L_tᵀ s_gauss when mixed.
    const auto eps = apply_per_sample(sde, s, t, [&](double ti) { return Mat(l_t(ti).transpose() * -1.0); });
    CHECK_ALLCLOSE_REL(eps, model.predict_eps(u, t), 1e-9, 1e-8);
    if (!mixed) CHECK_ALLCLOSE_REL(eps, net->forward(u, t), 1e-9, 1e-8);
  }
}

TEST_CASE("The all-block target's minimiser is -L^T times the oracle's full score", "[models][objectives]") {
  // For Gaussian data N(m, v) the state u_t is Gaussian with covariance
  // Σ_t = Σ_c + v Φ e_x e_xᵀ Φᵀ and u_t = μ_t + L_t z, so E[z | u] = L_tᵀ Σ_t⁻¹ (u − E u) = −L_tᵀ s(u)
  // and the irreducible loss is tr Cov[z | u] = K − tr(L_tᵀ Σ_t⁻¹ L_t) per coordinate.
  const std::string name = GENERATE(std::string("vp"), std::string("cld"), std::string("hold"));
  const double t = GENERATE(0.05, 0.5);
  const LinearSde sde = preset(name);
  const int k = sde.num_blocks();
  const Objective objective(sde, all_blocks_objective());
  GaussianMixture data;
  data.weights = {1.0};
  data.means = {{0.3}};
  data.stds = {{0.4}};
  GaussianMixtureOracle oracle(sde, data);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  const int64_t n = 200000;
  const auto x0 = data.sample(n, gen, at::kDouble);
  const auto times = at::full({n}, t, at::kDouble);
  const PerturbedBatch batch = objective.perturb_at(x0, times, gen);
  REQUIRE(batch.target.sizes() == batch.u_t.sizes());
  const Mat l = sde.marginal_factor(t, objective.sigma0());
  const auto eps_star = apply_blockwise(Mat(l.transpose() * -1.0), oracle.full_score(batch.u_t, times));
  const auto per_sample = (eps_star - batch.target).square().sum(1);
  const double loss = objective.loss(eps_star, batch).item<double>();
  const double se = per_sample.std().item<double>() / std::sqrt(static_cast<double>(n));
  Mat sigma_data = objective.sigma0();
  sigma_data(0, 0) = 0.16;
  Mat precision;
  REQUIRE(try_inverse(sde.marginal_cov(t, sigma_data), &precision));
  const double expected = k - (l.transpose() * precision * l).trace();
  INFO(name << " t = " << t << ": loss " << loss << " ± " << se << ", closed form " << expected);
  CHECK(std::abs(loss - expected) < 5 * se);
  // Its last block is the last-block objective's minimiser, −ℓ_t s_K.
  CHECK_ALLCLOSE_REL(last_block(eps_star, k), oracle.eps(batch.u_t, times, objective.sigma0()), 1e-9, 1e-8);
}

TEST_CASE("objective.target all builds a K*C-output network and a full-score model", "[models][config]") {
  const RunConfig config = parse_config(R"(
sde: {name: hold}
data: {name: swissroll}
model: {name: mlp, hidden: 8, layers: 3}
objective: {name: bcsm, target: all}
)",
                                        "all_block_test");
  const LinearSde sde = make_sde(config.sde);
  auto net = make_network(config, 2);
  CHECK(net->forward(at::zeros({4, 6}), at::zeros({4})).sizes() == at::IntArrayRef({4, 6}));
  auto model = make_score_model(config, sde, net);
  CHECK(model->has_full_score());
  const auto u = at::zeros({4, 6});
  CHECK(model->score(u, at::full({4}, 0.5, at::kDouble)).sizes() == at::IntArrayRef({4, 2}));
  CHECK(model->full_score(u, at::full({4}, 0.5, at::kDouble)).sizes() == at::IntArrayRef({4, 6}));
  CHECK_THROWS_WITH(parse_config("objective: {target: every}\n", "all_block_test"),
                    Catch::Contains("objective.target"));
  CHECK_THROWS_WITH(parse_config("objective: {name: hdsm, target: all}\n", "all_block_test"),
                    Catch::Contains("objective.target)"));
}
