#include "hold/samplers/driver.h"

#include <ATen/ATen.h>

#include <cmath>

#include "hold/core/error.h"
#include "hold/sde/blocks.h"
#include "hold/sde/linear_kernel.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/mat.h"

namespace hold::detail {

NoiseSource generator_noise(at::Generator gen) {
  return [gen](const at::Tensor& z) {
    if (z.device().type() == gen.device().type()) {
      z.normal_(0.0, 1.0, gen);  // on the state's device: no copy, no host round trip
    } else {
      // A generator of another device (a CPU one for a GPU state): draw there.
      z.copy_(at::empty(z.sizes(), z.options().device(gen.device())).normal_(0.0, 1.0, gen));
    }
  };
}

std::vector<int64_t> SamplerContext::block_shape() const {
  std::vector<int64_t> shape = state_shape;
  shape[1] /= num_blocks;
  return shape;
}

at::Tensor SamplerContext::times(double t) const {
  // On the host: score models compute their coefficients from t there, and
  // move what the network needs to the device without a round trip.
  return at::full({batch()}, t, at::TensorOptions().dtype(at::kDouble));
}

BlockMap SamplerContext::block_map(const Mat& m) const { return BlockMap(m, block_numel, state_options); }

ReverseEuler reverse_euler(const SamplerContext& ctx, double t, double h) {
  const int k = ctx.sde.num_blocks();
  const double g2 = ctx.sde.g2(t);
  ReverseEuler c;
  c.linear = ctx.block_map(Mat::identity(k) - ctx.sde.drift() * (h * ctx.sde.beta(t)));
  c.score_coef = h * g2;
  c.noise_coef = std::sqrt(h * g2);
  c.times = ctx.times(t);
  return c;
}

at::Tensor reverse_euler_step(const SamplerContext& ctx, const ReverseEuler& c, const at::Tensor& u,
                              const at::Tensor& z) {
  auto s = ctx.model.score(u, c.times);
  auto next = c.linear.apply(u);
  auto noisy = last_block(next, ctx.num_blocks);
  noisy.add_(s, c.score_coef);
  if (z.defined()) noisy.add_(z, c.noise_coef);
  return next;
}

ScalarMarginal scalar_marginal(const LinearSde& sde, double t) {
  const Kernel kern = sde.kernel(t);  // one kernel: Σ_c = Φ Σ₀ Φᵀ + Q
  const double var = congruence(kern.phi, sde.default_initial_cov())(0, 0) + kern.q(0, 0);
  return {kern.phi(0, 0), std::sqrt(var)};
}

void require_single_block(const LinearSde& sde, const std::string& method, const std::string& instead) {
  if (sde.num_blocks() != 1) {
    throw ConfigError("the " + method + " sampler needs a single-block SDE (K = 1), but '" + sde.name() +
                      "' has K = " + std::to_string(sde.num_blocks()) + "; use " + instead + " (sample.method)");
  }
}

int64_t steps_for_budget(const SamplerOptions& options, int nfe_per_step) {
  return (options.nfe - (options.denoise ? 1 : 0)) / nfe_per_step;
}

SampleResult run_fixed_grid(const SamplerContext& ctx, const FixedGridMethod& method, at::Tensor u, double t_start,
                            const StepCallback& callback) {
  const int64_t repeats = ctx.constraint ? ctx.constraint->repeats() : 1;
  const int64_t steps = steps_for_budget(ctx.options, static_cast<int>(method.nfe_per_step * repeats));
  if (steps < 1) {
    throw ConfigError("nfe " + std::to_string(ctx.options.nfe) + " allows no step of " + method.name + " taken " +
                      std::to_string(repeats) + " times (sample.inpaint_resample) (sample.nfe)");
  }
  const GridKind kind = ctx.options.grid == GridKind::kAuto ? method.grid : ctx.options.grid;
  const std::vector<double> grid = make_time_grid(ctx.sde, kind, steps, t_start, ctx.options.t_s);
  const GridStepper step = method.prepare(ctx, grid);
  const int64_t n_steps = steps + (ctx.options.denoise ? 1 : 0);
  std::vector<double> state_times;
  if (ctx.constraint) {
    state_times = method.state_times ? method.state_times(grid) : std::vector<double>(grid.begin() + 1, grid.end());
    ctx.constraint->prepare(ctx, t_start, state_times);
    u = ctx.constraint->start(ctx, std::move(u));
  }
  for (int64_t i = 0; i < steps; ++i) {
    for (int64_t r = 0; r < repeats; ++r) {
      if (r > 0) u = ctx.constraint->renoise(ctx, std::move(u), i);
      u = step(i, u);
      if (ctx.constraint) u = ctx.constraint->after_step(ctx, std::move(u), state_times[i]);
    }
    if (callback) callback(StepInfo{i + 1, n_steps, grid[i], grid[i + 1], u, ctx.model.count()});
  }
  return finish(ctx, std::move(u), steps, n_steps, callback);
}

SampleResult finish(const SamplerContext& ctx, at::Tensor u, int64_t steps, int64_t n_steps,
                    const StepCallback& callback) {
  if (ctx.options.denoise) {
    // One Euler step of the reverse SDE's mean from t_s to 0 (math.md §4).
    const double t_s = ctx.options.t_s;
    u = reverse_euler_step(ctx, reverse_euler(ctx, t_s, t_s), u, /*z=*/at::Tensor());
    if (ctx.constraint) u = ctx.constraint->finish(ctx, std::move(u));
    if (callback) callback(StepInfo{steps + 1, n_steps, t_s, 0.0, u, ctx.model.count()});
  } else if (ctx.constraint) {
    u = ctx.constraint->finish(ctx, std::move(u));
  }
  SampleResult result;
  result.x = block(u, ctx.num_blocks, 0).contiguous();
  result.u = u;
  result.nfe = ctx.model.count();
  result.steps = steps;
  return result;
}

}  // namespace hold::detail
