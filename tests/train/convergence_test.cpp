// math.md §8 item 5: a small MLP trained on the 1-D three-Gaussian mixture
// reaches the irreducible BCSM loss, measured against the oracle's exact ε.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <memory>
#include <string>

#include "hold/data/toy_dataset.h"
#include "hold/io/config.h"
#include "hold/models/ema.h"
#include "hold/models/eps_network.h"
#include "hold/models/eps_score_model.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/objectives/objective.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/blocks.h"
#include "hold/sde/presets.h"
#include "hold/train/run_components.h"
#include "hold/train/trainer.h"
#include "support/temp_dir.h"

using namespace hold;

namespace {

/// The loss of the exact ε* and of a network on the same n fresh draws
/// (common random numbers). With ε* = E[z_K | u_t]:
///   L(ε_θ) = L(ε*) + E‖ε_θ − ε*‖² + 2 E[(ε_θ − ε*)·(ε* − z_K)],
/// and the last (cross) term has mean zero.
struct LossGap {
  double irreducible = 0;       ///< L(ε*)
  double trained = 0;           ///< L(ε_θ)
  double excess = 0;            ///< mean ‖ε_θ − ε*‖²
  double cross = 0;             ///< mean 2 (ε_θ − ε*)·(ε* − z_K)
  double cross_se = 0;          ///< its standard error
  double excess_last = 0;       ///< the excess of the last output block (d = 1)
  double irreducible_last = 0;  ///< L(ε*) of the last output block
};

/// The exact all-block ε* = E[z | u_t] = −L_tᵀ s(u_t) (s the full-state score), per sample.
at::Tensor all_block_eps(const LinearSde& sde, GaussianMixtureOracle& oracle, const at::Tensor& u, const at::Tensor& t,
                         const Mat& sigma0) {
  const int64_t n = u.size(0), k = sde.num_blocks();
  auto m = at::empty({n, k, k}, at::kDouble);
  for (int64_t i = 0; i < n; ++i) m[i] = to_tensor(sde.marginal_factor(t[i].item<double>(), sigma0).transpose() * -1.0);
  return apply_blockwise_batched(m, oracle.full_score(u, t));
}

LossGap loss_gap(const RunConfig& config, std::shared_ptr<EpsNetwork> net, int64_t n, uint64_t seed) {
  const LinearSde sde = make_sde(config.sde);
  const Objective objective(sde, config.objective);
  GaussianMixtureOracle oracle(sde, config.data.mixture);
  EpsScoreModel model(std::move(net), sde, objective.sigma0(), config.model.mixed_score,
                      config.objective.predicts_all_blocks());
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto x0 = make_toy_dataset(config.data)->sample(n, gen).to(at::kDouble);
  const auto batch = objective.perturb(x0, gen);
  at::NoGradGuard no_grad;
  const auto eps_star = config.objective.predicts_all_blocks()
                            ? all_block_eps(sde, oracle, batch.u_t, batch.t, objective.sigma0())
                            : oracle.eps(batch.u_t, batch.t, objective.sigma0());
  const auto eps_net = model.predict_eps(batch.u_t, batch.t);
  const auto cross = 2 * ((eps_net - eps_star) * (eps_star - batch.target)).sum(1);
  LossGap g;
  g.irreducible = objective.loss(eps_star, batch).item<double>();
  g.trained = objective.loss(eps_net, batch).item<double>();
  g.excess = (eps_net - eps_star).square().sum(1).mean().item<double>();
  g.excess_last = (eps_net - eps_star).select(1, eps_net.size(1) - 1).square().mean().item<double>();
  g.irreducible_last = (eps_star - batch.target).select(1, eps_net.size(1) - 1).square().mean().item<double>();
  g.cross = cross.mean().item<double>();
  g.cross_se = cross.std().item<double>() / std::sqrt(double(n));
  return g;
}

/// The run both tests train: a mixed-score MLP on the 1-D three-mode mixture.
RunConfig mixture_mlp_config(const std::string& sde, const std::string& objective, int steps) {
  return parse_config("seed: 1\nsde: {name: " + sde +
                          "}\ndata: {name: gmm1d}\n"
                          "model: {name: mlp, hidden: 64, layers: 4, embedding_dim: 32, mixed_score: true}\n"
                          "objective: " +
                          objective + "\ntrain: {steps: " + std::to_string(steps) +
                          ", batch_size: 512, lr: 2.0e-3, warmup: 100, grad_clip: 1.0, ema: 0.999, "
                          "log_every: 1000000, ckpt_every: 1000000}\n",
                      "convergence_test");
}

/// Trains `config` in a temporary work dir; returns its EMA network (and the seconds taken).
std::shared_ptr<EpsNetwork> train_ema_network(const RunConfig& config, double* seconds = nullptr) {
  test::TempDir dir;
  TrainOptions options;
  options.workdir = dir.path();
  const auto start = std::chrono::steady_clock::now();
  Trainer trainer(config, options);
  trainer.run();
  if (seconds != nullptr) *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto net = make_network(config, 1);
  trainer.ema().copy_to(*net);
  return net;
}

}  // namespace

TEST_CASE("A small MLP trained on the 1-D mixture reaches the irreducible loss", "[train]") {
  // HOLD (K = 3) with the mixed score; 5000 steps of batch 512 take ~12 s here.
  // Measured: excess 0.0018 (EMA weights) over an irreducible 0.044, i.e. 4 %;
  // the tolerance is 10 %. Evaluated on n = 10⁵ fresh draws, where the
  // Monte Carlo error of the excess is ~2 % of itself.
  const RunConfig config = mixture_mlp_config("hold", "{name: bcsm}", 5000);
  double seconds = 0.0;
  const auto net = train_ema_network(config, &seconds);
  const LossGap g = loss_gap(config, net, 100000, 99);
  INFO("trained " << config.train.steps << " steps in " << seconds << " s; irreducible " << g.irreducible
                  << ", trained " << g.trained << ", excess " << g.excess << ", cross " << g.cross << " ± "
                  << g.cross_se);
  // ε* is the optimum: the cross term vanishes (5 SE) ...
  CHECK(std::abs(g.cross) < 5 * g.cross_se);
  CHECK(g.trained == Approx(g.irreducible + g.excess + g.cross).epsilon(1e-9));
  // ... and the network's loss is within 10 % of the irreducible minimum.
  CHECK(g.excess < 0.1 * g.irreducible);
  CHECK(g.irreducible == Approx(0.044).epsilon(0.1));
}

TEST_CASE("An all-block MLP (objective.target all) trains towards E[z | u] and samples with frame r",
          "[train][samplers]") {
  // CLD with the network predicting ε of both blocks (z, not z_K): K·C
  // outputs, loss over every block, minimiser −L_tᵀ s (math.md §9.5).
  // Measured after 3000 steps (~10 s): irreducible 0.105 (last block 0.059),
  // excess 1.19, of which the last block's 0.015: the x block's target
  // (L⁻¹(u − Φ e_x x̂))_x is a very steep function of u near t = 0 (L_xx ~ t^1.5),
  // which the MLP does not fit; for HOLD (L_xx ~ t^2.5) the excess is 2.7
  // and frame r diverges. What holds exactly: E[z | u] is the optimum (the
  // cross term vanishes), and the trained full-state score drives frame r.
  const RunConfig config = mixture_mlp_config("cld", "{name: bcsm, target: all}", 3000);
  const auto net = train_ema_network(config);
  const LossGap g = loss_gap(config, net, 100000, 99);
  INFO("irreducible " << g.irreducible << ", trained " << g.trained << ", excess " << g.excess << ", cross " << g.cross
                      << " ± " << g.cross_se << "; last block: irreducible " << g.irreducible_last << ", excess "
                      << g.excess_last);
  CHECK(std::abs(g.cross) < 5 * g.cross_se);
  CHECK(g.trained == Approx(g.irreducible + g.excess + g.cross).epsilon(1e-9));
  CHECK(g.excess_last < 0.5 * g.irreducible_last);  // measured 0.25

  // Frame r reads the trained full-state score (a last-block network is refused).
  const LinearSde sde = make_sde(config.sde);
  const auto model = make_score_model(config, sde, net);
  REQUIRE(model->has_full_score());
  SamplerOptions o;
  o.method = "ei";
  o.frame = "r";
  o.nfe = 50;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const auto x = sample(sde, *model, o, {1}, 20000, gen).x.to(at::kDouble);
  INFO("frame r: mean " << x.mean().item<double>() << ", std " << x.std().item<double>());
  CHECK(at::isfinite(x).all().item<bool>());
  CHECK(std::abs(x.mean().item<double>()) < 0.03);  // the mixture's mean is 0; measured −0.005
}
