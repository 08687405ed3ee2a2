// edm: Karras et al.'s deterministic sampler (EDM, Algorithm 1 without churn)
// for K = 1 SDEs: Heun steps on dx̃/dσ̃ = (x̃ − x̂)/σ̃ in the scaled variables
// x̃ = u/α, σ̃ = σ/α (any K = 1 SDE with the marginal u = α x₀ + σ z), on the
// karras grid unless sample.grid says otherwise; 2 NFE per step. Since
// (x̃ − x̂)/σ̃ = −σ s, in u:
//   u' = α_{i+1} (u_i/α_i − Δσ̃ σ_i s_i),
//   u_{i+1} = α_{i+1} (u_i/α_i − ½ Δσ̃ (σ_i s_i + σ_{i+1} s(u', t_{i+1}))).
// EDM's final Euler step to σ = 0 is the denoising step (x̂ at t_s).
#include <ATen/ATen.h>

#include "hold/samplers/sampler_registry.h"

namespace hold::detail {
namespace {

struct EdmStep {
  double scale = 1.0;            ///< α_{i+1}/α_i
  double euler = 0.0;            ///< −α_{i+1} Δσ̃ σ_i: Euler's weight of s_i
  double first = 0.0;            ///< −½ α_{i+1} Δσ̃ σ_i: Heun's weight of s_i
  double second = 0.0;           ///< −½ α_{i+1} Δσ̃ σ_{i+1}: Heun's weight of s'
  at::Tensor times, times_next;  ///< [N] = t_i, t_{i+1}
};

std::vector<EdmStep> prepare_steps(const SamplerContext& ctx, const std::vector<double>& grid) {
  std::vector<EdmStep> steps;
  for (size_t i = 0; i + 1 < grid.size(); ++i) {
    const ScalarMarginal a = scalar_marginal(ctx.sde, grid[i]), b = scalar_marginal(ctx.sde, grid[i + 1]);
    const double dsigma = b.sigma / b.alpha - a.sigma / a.alpha;
    steps.push_back({b.alpha / a.alpha, -b.alpha * dsigma * a.sigma, -0.5 * b.alpha * dsigma * a.sigma,
                     -0.5 * b.alpha * dsigma * b.sigma, ctx.times(grid[i]), ctx.times(grid[i + 1])});
  }
  return steps;
}

}  // namespace

FixedGridMethod edm_method() {
  auto prepare = [](const SamplerContext& ctx, const std::vector<double>& grid) -> GridStepper {
    return [&ctx, steps = prepare_steps(ctx, grid)](int64_t i, const at::Tensor& u) {
      const EdmStep& c = steps[i];
      const at::Tensor s = ctx.model.score(u, c.times);
      at::Tensor next = u * c.scale;
      const at::Tensor predictor = next + s * c.euler;
      next.add_(s, c.first);
      next.add_(ctx.model.score(predictor, c.times_next), c.second);
      return next;
    };
  };
  return {"edm", 2, prepare, GridKind::kKarras};
}

SamplerEntry edm_sampler() {
  auto check = [](const SamplerOptions&, const LinearSde& sde) { require_single_block(sde, "edm", "ei"); };
  return {"edm", "EDM's Heun steps on Karras et al.'s σ schedule (K = 1; 2 NFE per step; 20–80 NFE)", check,
          [](const SamplerOptions&) { return edm_method(); }};
}

}  // namespace hold::detail
