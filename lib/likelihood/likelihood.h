#pragma once
// The likelihood bound of the probability-flow ODE (math.md §5).
//
// For a data point x (continuous, in the model's centred space) the augmented
// state starts at u₀ = [x, v₀, a₀, …] with the auxiliary blocks drawn from
// q = N(0, ε Σ∞_kk I) (the sampler's Σ₀). The ODE du/dt = f(u, t) runs forward
// from t_ε to T together with Δ(t) = ∫ div f, so that
//   log p_θ(u₀) = log N(u_T; 0, Σ∞ ⊗ I) + Δ(T).
// The divergence is split: the linear part β d tr F is exact; only the score's
// part −½ g² div_{u_K} s_K is estimated, by Hutchinson on the last block
// (wᵀ ∂s_K/∂u_K w, one vector-Jacobian product per probe; w fixed over the
// solve) or exactly (d vector-Jacobian products, small d). Hutchinson on the
// whole state is unbiased but has ~20 nats of per-point noise for augmented
// SDEs (math.md §5), hence the split.
//
// For K ≥ 2 this gives a lower bound on log p(x):
//   log p(x) ≥ E_q[log p_θ(x, v₀, …) − log q(v₀, …)]
// which equals math.md's E_q[log p_θ] + H(q). Each point's estimate uses its
// own draw's log q rather than the entropy H(q): the same expectation, but the
// per-point noise of log q(v₀) (≈ sqrt(d(K−1)/2) nats) cancels against
// log p_θ(v₀ | x), which is close to log q(v₀) near t_ε.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <string>

#include "hold/core/registry.h"

namespace hold {

class LinearSde;
class ScoreModel;

enum class TraceKind { kHutchinson, kExact };
enum class ProbeKind { kRademacher, kGaussian };
/// likelihood.trace: hutchinson | exact.
const Registry<Choice<TraceKind>>& trace_registry();
/// likelihood.probe: rademacher | gaussian.
const Registry<Choice<ProbeKind>>& probe_registry();

struct LikelihoodOptions {
  /// The ODE runs from t_eps (the data end) to T.
  double t_eps = 1e-5;
  /// RK45 tolerances (math.md §5: 1e-5).
  double atol = 1e-5;
  double rtol = 1e-5;
  /// How div_{u_K} s_K is computed: hutchinson | exact (d backward passes per evaluation).
  std::string trace = "hutchinson";
  /// Hutchinson probe distribution: rademacher | gaussian.
  std::string probe = "rademacher";
  /// Hutchinson probes per point, averaged (each one backward pass per evaluation).
  int64_t probes = 1;
  /// Points per ODE solve.
  int64_t batch = 128;
  /// Points evaluated: 0 = the whole split (images) or 1000 fresh draws (toy data).
  int64_t n = 0;
  /// dtype of the state (float32; float64 for exact tests).
  at::ScalarType dtype = at::kFloat;
  /// Where the state lives (set by the apps from the run's `device`; not a config key).
  at::Device device = at::kCPU;

  /// Throws ConfigError naming "likelihood.<key>".
  void validate(const LinearSde& sde) const;
};

/// The per-point results of one solve ([N] float64 tensors, CPU).
struct LikelihoodBatch {
  /// The estimate of the bound on log p(x), nats: state_log_prob − aux_log_prob.
  at::Tensor log_likelihood;
  /// log p_θ(u₀) of the whole initial state, from the ODE.
  at::Tensor state_log_prob;
  /// log q of the auxiliary blocks of u₀ (0 for K = 1).
  at::Tensor aux_log_prob;
  /// The ODE's ends: u₀ at t_ε (data and auxiliary draws) and u_T, [N, K·C, ...] float64.
  at::Tensor initial_state, final_state;
  /// ∫ div f dt over [t_ε, T]: log p_θ(u₀) = log N(u_T) + delta_log_prob.
  at::Tensor delta_log_prob;
  /// Score evaluations of the solve (the same for every point of the batch).
  int64_t nfe = 0;
};

/// Called after each accepted solver step with the time reached and the NFE so far.
using LikelihoodProgress = std::function<void(double t, int64_t nfe)>;

/// The bound for the points x ([N, C, ...] or [N, d], continuous, centred).
/// Draws the auxiliary blocks, then the Hutchinson probes, from gen (CPU).
/// Gradients flow through the model (not under NoGradGuard). Throws
/// NumericalError when the solver fails.
LikelihoodBatch log_likelihood_bound(const LinearSde& sde, ScoreModel& model, const LikelihoodOptions& options,
                                     const at::Tensor& x, at::Generator gen, const LikelihoodProgress& progress = {});

/// 8-bit pixels (uint8, any shape) → dequantised centred data 2 (k + U)/256 − 1,
/// U ~ Uniform[0, 1) from gen, in float64.
at::Tensor dequantize(const at::Tensor& pixels, at::Generator gen);

/// Per point, from the bound on the log-density of the dequantised centred
/// data (nats) with `dim` numbers per point: −ll / (dim ln 2) + 7 (the 2^dim
/// of the [−1, 1] rescaling and the 256^dim bins, math.md §5).
at::Tensor bits_per_dim(const at::Tensor& log_likelihood, int64_t dim);
/// Continuous data: −ll / dim.
at::Tensor nats_per_dim(const at::Tensor& log_likelihood, int64_t dim);

/// Mean and its standard error (sample std / sqrt(n); 0 for n = 1).
struct MeanWithError {
  double mean = 0.0;
  double standard_error = 0.0;
  int64_t n = 0;
};
MeanWithError mean_with_error(const at::Tensor& values);

}  // namespace hold
