// lt: the Strang splitting A(h/2) B(h) A(h/2) of math.md §4 (SSCS for CLD), 1 NFE
// per step. The reverse drift is split with Σ∞:
//   A: du = β Â u dτ + sqrt(β) G dW̄   (linear; sampled exactly: Φ̂ u + chol(Q̂) z)
//   B: u_K += h g²(t_i) (s(u, t_i) + (Σ∞⁻¹ u)_K)   (one Euler step, noisy block only)
//
// Two things make a step a few tensor ops:
// * The closing A(h_i/2) of step i and the opening A(h_{i+1}/2) of step i+1 have
//   no score evaluation between them, and A is sampled exactly, so they compose
//   into one exact A from the midpoint m_i = t_i − h_i/2 to m_{i+1}
//   (Chapman–Kolmogorov): the same law, half the noise draws (the dominant cost
//   of a step). The first step opens with A from t_0 to m_0, the last closes at
//   t_s. Hence the state a callback sees between grid points is at m_{i+1}; the
//   final state is at t_s exactly.
// * B is linear in u apart from the score, so B and the following A are one map:
//   u ← Φ̂ (I + h g² e_K (Σ∞⁻¹)_K) u + h g² Φ̂ e_K s + chol(Q̂) z.
#include <ATen/ATen.h>

#include "hold/core/error.h"
#include "hold/samplers/sampler_registry.h"
#include "hold/sde/linear_sde.h"

namespace hold::detail {
namespace {

struct LtStep {
  BlockMap lin;      ///< Φ̂ (I + h g² e_K (Σ∞⁻¹)_K): B's linear part, then A
  BlockMap score;    ///< h g² Φ̂ e_K (K×1): B's score part carried through A
  BlockMap noise;    ///< chol(Q̂) of A
  at::Tensor times;  ///< [N] = t_i
};

/// The exact A over forward times [t_lo, t_hi] (reverse time runs t_hi → t_lo).
struct SplitFlow {
  Mat phi, chol;
};

SplitFlow split_flow(const LinearSde& sde, double t_hi, double t_lo) {
  const Kernel kern = sde.split_kernel(t_hi, t_lo);
  SplitFlow flow{kern.phi, Mat()};
  if (!try_cholesky(kern.q, &flow.chol)) {
    sde.fail("lt: noise covariance Q̂ of the split flow is not positive definite", t_hi, kern.q);
  }
  return flow;
}

LtStep prepare_step(const SamplerContext& ctx, double t, double h, const SplitFlow& closing) {
  const LinearSde& sde = ctx.sde;
  const int k = sde.num_blocks();
  const double hg2 = h * sde.g2(t);
  Mat b_lin = Mat::identity(k);  // u_K += h g² (Σ∞⁻¹ u)_K
  for (int j = 0; j < k; ++j) b_lin(k - 1, j) += hg2 * sde.prior_precision()(k - 1, j);
  Mat b_score(k, 1);  // Φ̂ e_K h g²
  for (int r = 0; r < k; ++r) b_score(r, 0) = hg2 * closing.phi(r, k - 1);
  return LtStep{ctx.block_map(closing.phi * b_lin), ctx.block_map(b_score), ctx.block_map(closing.chol), ctx.times(t)};
}

}  // namespace

FixedGridMethod lt_method() {
  auto prepare = [](const SamplerContext& ctx, const std::vector<double>& grid) -> GridStepper {
    const size_t n = grid.size() - 1;
    auto midpoint = [&](size_t i) { return 0.5 * (grid[i] + grid[i + 1]); };
    const SplitFlow opening = split_flow(ctx.sde, grid[0], midpoint(0));
    std::vector<LtStep> steps;
    for (size_t i = 0; i < n; ++i) {
      const double closing_end = i + 1 < n ? midpoint(i + 1) : grid[n];
      steps.push_back(prepare_step(ctx, grid[i], grid[i] - grid[i + 1], split_flow(ctx.sde, midpoint(i), closing_end)));
    }
    at::Tensor z = at::empty(ctx.state_shape, ctx.state_options);
    return [&ctx, steps = std::move(steps), open_phi = ctx.block_map(opening.phi),
            open_noise = ctx.block_map(opening.chol), z](int64_t i, const at::Tensor& u_in) {
      at::Tensor u = u_in;
      if (i == 0) {  // A from t_0 to m_0
        ctx.noise(z);
        u = open_phi.apply(u_in);
        open_noise.add_to(u, z);
      }
      const LtStep& c = steps[i];
      auto s = ctx.model.score(u, c.times);
      ctx.noise(z);
      auto next = c.lin.apply(u);  // B(h_i), then A from m_i to m_{i+1}
      c.score.add_to(next, s);
      c.noise.add_to(next, z);
      return next;
    };
  };
  // The state after step i lies at the midpoint m_{i+1} (the last at t_s).
  auto state_times = [](const std::vector<double>& grid) {
    const size_t n = grid.size() - 1;
    std::vector<double> times;
    for (size_t i = 0; i < n; ++i) times.push_back(i + 1 < n ? 0.5 * (grid[i + 1] + grid[i + 2]) : grid[n]);
    return times;
  };
  return {"lt", 1, prepare, GridKind::kQuadratic, state_times};
}

SamplerEntry lt_sampler() {
  auto check = [](const SamplerOptions&, const LinearSde& sde) {
    if (!sde.has_stationary_law() || sde.is_subvp()) {
      throw ConfigError(
          "the lt sampler splits the drift with the stationary covariance and needs a stationary law and a "
          "constant diffusion, which '" +
          sde.name() + "' lacks; use em, pc or ode (sample.method)");
    }
  };
  return {"lt", "Lie–Trotter splitting: exact linear flow + score step (SSCS for cld; 1 NFE per step)", check,
          [](const SamplerOptions&) { return lt_method(); }};
}

}  // namespace hold::detail
