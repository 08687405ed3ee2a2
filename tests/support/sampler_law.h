#pragma once
// Exact output law of a sampler for Gaussian data (test support).
//
// With a single Gaussian the oracle's score is affine in the state, so em, lt
// and the fixed-step ODE solvers are affine maps of (u0, noise draws). One run
// on a batch of basis inputs recovers that map exactly, noise included:
//   row 0:        u0 = 0, no noise               → a
//   rows 1..K:    u0 = e_k, no noise             → a + A e_k
//   row K+1+g:    u0 = 0, unit noise at draw g   → a + C_g
// and the output law from u0 ~ N(m0, S0) is N(A m0 + a, A S0 Aᵀ + Σ_g C_g C_gᵀ).
#include <ATen/ATen.h>

#include "hold/models/score_model.h"
#include "hold/samplers/driver.h"
#include "hold/sde/blocks.h"
#include "hold/sde/linear_sde.h"

namespace hold::test {

struct GaussianLaw {
  at::Tensor mean;    ///< [K]
  at::Tensor cov;     ///< [K, K]
  int64_t steps = 0;  ///< grid steps the sampler took (propagate_law)
};

/// Exact law of the forward marginal at t for data N(m, s²) (one coordinate).
inline GaussianLaw marginal_law(const LinearSde& sde, double m, double s, double t) {
  Mat sigma0 = sde.default_initial_cov();
  sigma0(0, 0) = s * s;
  const Kernel kern = sde.kernel(t);
  return {to_tensor(kern.phi).select(1, 0) * m, to_tensor(sde.marginal_cov(t, sigma0))};
}

/// Law of the sampler's final state (options.denoise decides whether it is at
/// t_s or 0) when started from `start` at t_start. Options must use float64.
inline GaussianLaw propagate_law(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options,
                                 const GaussianLaw& start, double t_start) {
  const int64_t k = sde.num_blocks();
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  // A dry run counts the noise numbers drawn per sample.
  int64_t draws = 0;
  detail::NoiseSource counting = [&](const at::Tensor& z) {
    draws += z.numel() / z.size(0);
    z.zero_();
  };
  detail::run_sampler(sde, model, options, at::zeros({1, k}, f64), t_start, counting);

  const int64_t batch = k + 1 + draws;
  auto u0 = at::zeros({batch, k}, f64);
  u0.narrow(0, 1, k).copy_(at::eye(k, f64));
  int64_t offset = 0;
  detail::NoiseSource basis = [&](const at::Tensor& z) {
    const int64_t m = z.numel() / z.size(0);
    z.zero_();
    auto rows = at::arange(k + 1 + offset, k + 1 + offset + m, at::kLong);
    z.view({batch, m}).index_put_({rows, at::arange(m, at::kLong)}, 1.0);
    offset += m;
  };
  const SampleResult result = detail::run_sampler(sde, model, options, u0, t_start, basis);
  auto out = result.u.view({batch, k});
  auto a = out[0];
  auto lin = (out.narrow(0, 1, k) - a).t();      // A[:, j] = response to e_j
  auto noise = out.narrow(0, k + 1, draws) - a;  // C_g as rows
  return {at::mv(lin, start.mean) + a, at::matmul(at::matmul(lin, start.cov), lin.t()) + at::matmul(noise.t(), noise),
          result.steps};
}

/// max(‖Δmean‖∞, ‖Δcov‖∞).
inline double law_error(const GaussianLaw& a, const GaussianLaw& b) {
  return std::max((a.mean - b.mean).abs().max().item<double>(), (a.cov - b.cov).abs().max().item<double>());
}

}  // namespace hold::test
