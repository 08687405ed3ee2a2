// pc: predictor–corrector for K = 1, as score SDE does it (math.md §4), 2 NFE per
// step, both at t_i: a Langevin corrector step of size 2α (r ‖z‖/‖s‖)² (norms
// averaged over the batch), then the reverse-diffusion predictor
//   x ← x − (φ − 1) x + q s + sqrt(q) z
// where (φ, q) is the exact forward kernel from t_{i+1} to t_i (vp: φ = e^{−ΔB/2},
// q = 1 − e^{−ΔB}, i.e. DDPM's β_i = 1 − e^{−ΔB}; ve: φ = 1, q = ΔB) and α = φ²
// (e^{−ΔB} for vp and subvp, 1 for ve).
#include <ATen/ATen.h>

#include <cmath>

#include "hold/core/error.h"
#include "hold/samplers/sampler_registry.h"
#include "hold/sde/linear_sde.h"

namespace hold::detail {
namespace {

struct PcStep {
  double alpha = 1.0;  ///< corrector step scale
  double phi = 1.0;    ///< forward transition factor over the step
  double q = 0.0;      ///< forward transition variance over the step
  at::Tensor times;    ///< [N] = t_i
};

PcStep prepare_step(const SamplerContext& ctx, double t, double t_next) {
  // The transition t_next → t from the kernels from 0 (generic for K = 1, subvp included).
  const Kernel at_t = ctx.sde.kernel(t), at_next = ctx.sde.kernel(t_next);
  PcStep step;
  step.phi = at_t.phi(0, 0) / at_next.phi(0, 0);
  step.q = at_t.q(0, 0) - step.phi * step.phi * at_next.q(0, 0);
  step.alpha = step.phi * step.phi;
  step.times = ctx.times(t);
  return step;
}

/// Mean over the batch of the per-sample L2 norms (0-dim, on x's device).
at::Tensor mean_norm(const at::Tensor& x) { return at::norm(x.reshape({x.size(0), -1}), 2, 1).mean(); }

}  // namespace

FixedGridMethod pc_method() {
  auto prepare = [](const SamplerContext& ctx, const std::vector<double>& grid) -> GridStepper {
    std::vector<PcStep> steps;
    for (size_t i = 0; i + 1 < grid.size(); ++i) steps.push_back(prepare_step(ctx, grid[i], grid[i + 1]));
    const double snr = ctx.options.snr > 0 ? ctx.options.snr : (ctx.sde.has_stationary_law() ? 0.01 : 0.16);
    at::Tensor z = at::empty(ctx.state_shape, ctx.state_options);
    return [&ctx, steps = std::move(steps), snr, z](int64_t i, const at::Tensor& u) {
      const PcStep& c = steps[i];
      // Corrector: one Langevin step at t_i.
      auto s = ctx.model.score(u, c.times);
      ctx.noise(z);
      // score_sde's step size ε = 2α (snr ‖z‖ / ‖s‖)², kept on the device
      // (0 where the score vanishes) so that no step waits for a host read.
      const at::Tensor s_norm = mean_norm(s);
      const at::Tensor ratio = at::where(s_norm > 0, snr * mean_norm(z) / s_norm, at::zeros_like(s_norm));
      const at::Tensor eps = 2.0 * c.alpha * ratio * ratio;
      auto x = u.add(s * eps).add_(z * (2.0 * eps).sqrt());
      // Predictor: reverse diffusion at t_i.
      s = ctx.model.score(x, c.times);
      ctx.noise(z);
      return x.mul_(2.0 - c.phi).add_(s, c.q).add_(z, std::sqrt(c.q));
    };
  };
  return {"pc", 2, prepare};
}

SamplerEntry pc_sampler() {
  auto check = [](const SamplerOptions&, const LinearSde& sde) { require_single_block(sde, "pc", "em, lt or ode"); };
  return {"pc", "predictor–corrector: reverse diffusion + Langevin corrector (K = 1; 2 NFE per step)", check,
          [](const SamplerOptions&) { return pc_method(); }};
}

}  // namespace hold::detail
