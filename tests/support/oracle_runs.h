#pragma once
// Shared pieces of the sampler tests that run the exact oracle from fixed
// prior states: single-Gaussian data, the states, one run to t_s in float64
// without the denoising step, and rk45 options for reference solutions.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cstdint>

#include "hold/core/gaussian_mixture.h"
#include "hold/models/score_model.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/linear_sde.h"

namespace hold::test {

/// Data N(mean, std²) in one dimension.
inline GaussianMixture single_gaussian(double mean = 0.3, double std = 0.5) {
  GaussianMixture m;
  m.weights = {1.0};
  m.means = {{mean}};
  m.stds = {{std}};
  return m;
}

/// n float64 states [n, K·d] from the prior at T (seed 7), the same for every run.
inline at::Tensor prior_states(const LinearSde& sde, int64_t n = 16, int64_t d = 1) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  return sde.prior_sample({n, sde.num_blocks() * d}, gen, at::kDouble);
}

/// The run from u0 at T to t_s: float64, no denoising step (seed 0 for any noise).
inline SampleResult solve_to_t_s(const LinearSde& sde, ScoreModel& model, const at::Tensor& u0, SamplerOptions o) {
  o.denoise = false;
  o.dtype = at::kDouble;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  return sample_from(sde, model, o, u0, sde.t_max(), gen);
}

/// rk45 on the probability-flow ODE at tolerance tol (atol = rtol).
inline SamplerOptions rk45(double tol) {
  SamplerOptions o;
  o.method = "ode";
  o.ode_solver = "rk45";
  o.atol = o.rtol = tol;
  return o;
}

inline double max_abs(const at::Tensor& t) { return t.abs().max().item<double>(); }

}  // namespace hold::test
