// lt: the Strang splitting A(h/2) B(h) A(h/2) of math.md §4 (SSCS for CLD), 1 NFE
// per step. The reverse drift is split with Σ∞:
//   A: du = β Â u dτ + sqrt(β) G dW̄   (linear; sampled exactly: Φ̂ u + chol(Q̂) z)
//   B: u_K += h g²(t_i) (s(u, t_i) + (Σ∞⁻¹ u)_K)   (one Euler step, noisy block only)
// B is linear in u apart from the score, so B and the second A(h/2) are folded
// into one map: u ← Φ̂₂ (I + h g² e_K (Σ∞⁻¹)_K) u + h g² Φ̂₂ e_K s + chol(Q̂₂) z₂.
#include <ATen/ATen.h>

#include "samplers/driver.h"
#include "sde/linear_sde.h"

namespace hold::detail {
namespace {

struct LtStep {
  BlockMap first_phi;     ///< Φ̂ over the first half step
  BlockMap first_chol;    ///< chol(Q̂) over the first half step
  BlockMap second_lin;    ///< Φ̂₂ (I + h g² e_K (Σ∞⁻¹)_K): B's linear part, then A(h/2)
  BlockMap second_score;  ///< h g² Φ̂₂ e_K (K×1): B's score part carried through A(h/2)
  BlockMap second_chol;   ///< chol(Q̂₂)
  at::Tensor times;       ///< [N] = t_i
};

Mat noise_factor(const LinearSde& sde, const Kernel& half, double t) {
  Mat chol;
  if (!try_cholesky(half.q, &chol)) sde.fail("lt: half-step noise covariance Q̂ is not positive definite", t, half.q);
  return chol;
}

LtStep prepare_step(const SamplerContext& ctx, double t, double t_next) {
  const LinearSde& sde = ctx.sde;
  const int k = sde.num_blocks();
  const double h = t - t_next, mid = t - 0.5 * h;
  const Kernel first = sde.split_kernel(t, mid), second = sde.split_kernel(mid, t_next);
  const double hg2 = h * sde.g2(t);

  Mat b_lin = Mat::identity(k);  // u_K += h g² (Σ∞⁻¹ u)_K
  for (int j = 0; j < k; ++j) b_lin(k - 1, j) += hg2 * sde.prior_precision()(k - 1, j);
  Mat b_score(k, 1);  // Φ̂₂ e_K h g²
  for (int r = 0; r < k; ++r) b_score(r, 0) = hg2 * second.phi(r, k - 1);

  LtStep step;
  step.first_phi = ctx.block_map(first.phi);
  step.first_chol = ctx.block_map(noise_factor(sde, first, t));
  step.second_lin = ctx.block_map(second.phi * b_lin);
  step.second_score = ctx.block_map(b_score);
  step.second_chol = ctx.block_map(noise_factor(sde, second, mid));
  step.times = ctx.times(t);
  return step;
}

}  // namespace

FixedGridMethod lt_method() {
  auto prepare = [](const SamplerContext& ctx, const std::vector<double>& grid) -> GridStepper {
    std::vector<LtStep> steps;
    for (size_t i = 0; i + 1 < grid.size(); ++i) steps.push_back(prepare_step(ctx, grid[i], grid[i + 1]));
    at::Tensor z1 = at::empty(ctx.state_shape, ctx.state_options);
    at::Tensor z2 = at::empty(ctx.state_shape, ctx.state_options);
    return [&ctx, steps = std::move(steps), z1, z2](int64_t i, const at::Tensor& u) {
      const LtStep& c = steps[i];
      ctx.noise(z1);
      ctx.noise(z2);
      auto v = c.first_phi.apply(u);  // A(h/2)
      c.first_chol.add_to(v, z1);
      auto s = ctx.model.score(v, c.times);
      auto w = c.second_lin.apply(v);  // B(h), then A(h/2)
      c.second_score.add_to(w, s);
      c.second_chol.add_to(w, z2);
      return w;
    };
  };
  return {"lt", 1, prepare};
}

}  // namespace hold::detail
