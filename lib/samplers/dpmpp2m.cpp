// dpmpp2m: DPM-Solver++ 2M (Lu et al. 2022, multistep second order in the data
// prediction, steps in λ = log(α/σ)), for K = 1 SDEs; 1 NFE per step, on the
// logsnr grid unless sample.grid says otherwise. With x̂_i = (u_i + σ_i² s_i)/α_i
// and h_i = λ_{i+1} − λ_i:
//   u_{i+1} = (σ_{i+1}/σ_i) u_i + α_{i+1} (1 − e^{−h_i}) D_i,
//   D_0 = x̂_0,  D_i = (1 + 1/(2r_i)) x̂_i − 1/(2r_i) x̂_{i−1},  r_i = h_{i−1}/h_i.
// The scalars are float64, computed once per grid; a step is one score
// evaluation and four tensor ops.
#include <ATen/ATen.h>

#include <cmath>

#include "hold/samplers/sampler_registry.h"

namespace hold::detail {
namespace {

struct Dpmpp2mStep {
  double xhat_u = 0.0, xhat_s = 0.0;    ///< x̂_i = xhat_u·u + xhat_s·s
  double keep = 0.0;                    ///< σ_{i+1}/σ_i
  double newest = 0.0, previous = 0.0;  ///< weights of x̂_i and x̂_{i−1}
  at::Tensor times;                     ///< [N] = t_i
};

std::vector<Dpmpp2mStep> prepare_steps(const SamplerContext& ctx, const std::vector<double>& grid) {
  std::vector<ScalarMarginal> m;
  std::vector<double> lambda;
  for (double t : grid) {
    m.push_back(scalar_marginal(ctx.sde, t));
    lambda.push_back(std::log(m.back().alpha / m.back().sigma));
  }
  std::vector<Dpmpp2mStep> steps;
  for (size_t i = 0; i + 1 < grid.size(); ++i) {
    const double h = lambda[i + 1] - lambda[i];
    const double gain = m[i + 1].alpha * -std::expm1(-h);
    Dpmpp2mStep s{1.0 / m[i].alpha,  m[i].sigma * m[i].sigma / m[i].alpha, m[i + 1].sigma / m[i].sigma, gain, 0.0,
                  ctx.times(grid[i])};
    if (i > 0) {
      const double half_inv_r = 0.5 * h / (lambda[i] - lambda[i - 1]);
      s.newest = gain * (1.0 + half_inv_r);
      s.previous = -gain * half_inv_r;
    }
    steps.push_back(std::move(s));
  }
  return steps;
}

}  // namespace

FixedGridMethod dpmpp2m_method() {
  auto prepare = [](const SamplerContext& ctx, const std::vector<double>& grid) -> GridStepper {
    return [&ctx, steps = prepare_steps(ctx, grid), previous = at::Tensor()](int64_t i, const at::Tensor& u) mutable {
      const Dpmpp2mStep& c = steps[i];
      at::Tensor xhat = u * c.xhat_u;
      xhat.add_(ctx.model.score(u, c.times), c.xhat_s);
      at::Tensor next = u * c.keep;
      next.add_(xhat, c.newest);
      if (i > 0) next.add_(previous, c.previous);
      previous = xhat;
      return next;
    };
  };
  return {"dpmpp2m", 1, prepare, GridKind::kLogSnr};
}

SamplerEntry dpmpp2m_sampler() {
  auto check = [](const SamplerOptions&, const LinearSde& sde) { require_single_block(sde, "dpmpp2m", "ei"); };
  SamplerEntry entry{"dpmpp2m",
                     "DPM-Solver++ 2M: multistep data prediction in logSNR steps (K = 1; 1 NFE per step; 10–30 NFE)",
                     check, [](const SamplerOptions&) { return dpmpp2m_method(); }};
  entry.multistep = true;
  return entry;
}

}  // namespace hold::detail
