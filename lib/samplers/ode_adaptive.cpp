// ode with rk45: adaptive Dormand–Prince on the probability-flow ODE from
// t_start to t_s (its own driver; options.nfe is not a budget here: the
// tolerances set the work, and the NFE used is reported).
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "hold/samplers/driver.h"
#include "hold/samplers/probability_flow.h"
#include "hold/samplers/runge_kutta.h"
#include "hold/sde/linear_sde.h"

namespace hold::detail {

SampleResult run_adaptive_ode(const SamplerContext& ctx, at::Tensor u, double t_start, const StepCallback& callback) {
  const ProbabilityFlow flow(ctx.sde, ctx.model, ctx.batch(), ctx.block_numel, ctx.state_options);
  const double t_s = ctx.options.t_s;
  const int64_t denoise = ctx.options.denoise ? 1 : 0;
  AdaptiveOptions adaptive;
  adaptive.atol = ctx.options.atol;
  adaptive.rtol = ctx.options.rtol;
  AdaptiveStats stats;
  auto drift = [&](const at::Tensor& y, double t) { return flow(y, flow.at(t)); };
  auto on_step = [&](double t, double t_next, const at::Tensor& y) {
    if (!callback) return;
    // Planned steps are unknown: estimate the rest at the last step's size.
    const double remaining = std::abs(t_next - t_s) / std::max(std::abs(t_next - t), 1e-300);
    const int64_t n_steps = stats.accepted + static_cast<int64_t>(std::ceil(std::min(remaining, 1e9))) + denoise;
    callback(StepInfo{stats.accepted, n_steps, t, t_next, y, ctx.model.count()});
  };
  AcceptedStepTransform constrain;
  if (ctx.constraint) {
    ctx.constraint->prepare(ctx, t_start, {});  // no grid: the factors are computed per accepted step
    u = ctx.constraint->start(ctx, std::move(u));
    constrain = [&ctx](double t, const at::Tensor& y) { return ctx.constraint->after_step(ctx, y, t); };
  }
  u = integrate_adaptive(drift, u, t_start, t_s, adaptive, &stats, on_step, constrain);
  return finish(ctx, std::move(u), stats.accepted, stats.accepted + denoise, callback);
}

}  // namespace hold::detail
