#include "hold/likelihood/likelihood.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <vector>

#include "hold/core/error.h"
#include "hold/core/format.h"
#include "hold/models/score_model.h"
#include "hold/samplers/probability_flow.h"
#include "hold/samplers/runge_kutta.h"
#include "hold/sde/blocks.h"
#include "hold/sde/linear_sde.h"

namespace hold {
namespace {

[[noreturn]] void reject(const std::string& what, const std::string& key) {
  throw ConfigError(what + " (likelihood." + key + ")");
}

/// The score of the last block and its divergence in the last block,
/// div_{u_K} s_K ([N] in the state's dtype), by Hutchinson or exactly.
class ScoreDivergence {
 public:
  /// probes: [P, N, C, ...] fixed over the solve (empty for the exact trace).
  ScoreDivergence(ScoreModel& model, int64_t num_blocks, at::Tensor probes)
      : model_(model), num_blocks_(num_blocks), probes_(std::move(probes)) {}

  struct Result {
    at::Tensor score;       ///< [N, C, ...], detached
    at::Tensor divergence;  ///< [N]
  };

  Result operator()(const at::Tensor& u, const at::Tensor& times) const {
    at::AutoGradMode enable_grad(true);
    const at::Tensor input = u.detach().requires_grad_(true);
    const at::Tensor score = model_.score(input, times);
    const at::Tensor div = probes_.defined() ? hutchinson(input, score) : exact(input, score);
    return {score.detach(), div};
  }

 private:
  /// (1/P) Σ_p w_pᵀ (∂s/∂u_K) w_p: one vector-Jacobian product per probe.
  at::Tensor hutchinson(const at::Tensor& input, const at::Tensor& score) const {
    const int64_t count = probes_.size(0);
    at::Tensor sum;
    for (int64_t p = 0; p < count; ++p) {
      const at::Tensor w = probes_[p];
      const at::Tensor vjp = torch::autograd::grad({score}, {input}, {w}, /*retain_graph=*/p + 1 < count)[0];
      const at::Tensor term = (last_block(vjp, num_blocks_) * w).flatten(1).sum(1);
      sum = sum.defined() ? sum + term : term;
    }
    return sum / static_cast<double>(count);
  }

  /// Σ_i ∂s_i/∂u_K,i, one vector-Jacobian product per coordinate (every
  /// point of the batch at once: points do not interact).
  at::Tensor exact(const at::Tensor& input, const at::Tensor& score) const {
    const at::Tensor flat = score.flatten(1);
    const int64_t d = flat.size(1);
    at::Tensor sum = at::zeros({flat.size(0)}, score.options());
    for (int64_t i = 0; i < d; ++i) {
      const at::Tensor one = at::ones({flat.size(0)}, score.options());
      const at::Tensor vjp = torch::autograd::grad({flat.select(1, i)}, {input}, {one}, /*retain_graph=*/i + 1 < d)[0];
      sum += last_block(vjp, num_blocks_).flatten(1).select(1, i);
    }
    return sum;
  }

  ScoreModel& model_;
  int64_t num_blocks_;
  at::Tensor probes_;
};

/// Hutchinson probes [P, ...shape] with E[w wᵀ] = I.
at::Tensor draw_probes(const LikelihoodOptions& o, at::IntArrayRef block_shape, at::Generator& gen) {
  std::vector<int64_t> shape{o.probes};
  shape.insert(shape.end(), block_shape.begin(), block_shape.end());
  const at::Tensor w = at::empty(shape, at::TensorOptions().dtype(at::kDouble));
  if (probe_registry().at(o.probe).value == ProbeKind::kGaussian) return w.normal_(0.0, 1.0, gen);
  return w.bernoulli_(0.5, gen).mul_(2.0).sub_(1.0);
}

/// The initial state [x, v₀, …] with aux blocks from q, and log q per point.
std::pair<at::Tensor, at::Tensor> initial_state(const LinearSde& sde, const at::Tensor& x, at::Generator& gen) {
  const int64_t k = sde.num_blocks();
  const Mat sigma0 = sde.default_initial_cov();
  const double d = static_cast<double>(x[0].numel());
  std::vector<at::Tensor> blocks{x};
  at::Tensor log_q = at::zeros({x.size(0)}, x.options());
  for (int64_t b = 1; b < k; ++b) {
    const double var = sigma0(static_cast<int>(b), static_cast<int>(b));
    const at::Tensor aux = at::empty(x.sizes(), x.options()).normal_(0.0, 1.0, gen).mul_(std::sqrt(var));
    log_q -= aux.flatten(1).pow(2).sum(1) / (2.0 * var) + 0.5 * d * std::log(2.0 * M_PI * var);
    blocks.push_back(aux);
  }
  return {join_blocks(blocks), log_q};
}

}  // namespace

const Registry<Choice<TraceKind>>& trace_registry() {
  static const Registry<Choice<TraceKind>> registry(
      "trace", "likelihood.trace",
      {
          {"hutchinson", TraceKind::kHutchinson, "unbiased estimate, one vector-Jacobian product per probe"},
          {"exact", TraceKind::kExact, "the exact divergence, d backward passes per evaluation"},
      });
  return registry;
}

const Registry<Choice<ProbeKind>>& probe_registry() {
  static const Registry<Choice<ProbeKind>> registry(
      "probe", "likelihood.probe",
      {
          {"rademacher", ProbeKind::kRademacher, "±1 entries (the lower-variance choice)"},
          {"gaussian", ProbeKind::kGaussian, "N(0, 1) entries"},
      });
  return registry;
}

void LikelihoodOptions::validate(const LinearSde& sde) const {
  if (!(t_eps > 0 && t_eps < sde.t_max()))
    reject("t_eps must lie in (0, T = " + fmt(sde.t_max()) + "), got " + fmt(t_eps), "t_eps");
  if (!(atol > 0)) reject("atol must be positive, got " + fmt(atol), "atol");
  if (!(rtol > 0)) reject("rtol must be positive, got " + fmt(rtol), "rtol");
  trace_registry().at(trace);
  probe_registry().at(probe);
  if (probes < 1) reject("probes must be >= 1, got " + std::to_string(probes), "probes");
  if (batch < 1) reject("batch must be >= 1, got " + std::to_string(batch), "batch");
  if (n < 0) reject("n must be >= 0 (0: the whole split), got " + std::to_string(n), "n");
  if (dtype != at::kFloat && dtype != at::kDouble) reject("the state dtype must be float32 or float64", "dtype");
}

LikelihoodBatch log_likelihood_bound(const LinearSde& sde, ScoreModel& model, const LikelihoodOptions& options,
                                     const at::Tensor& x, at::Generator gen, const LikelihoodProgress& progress) {
  const int64_t k = sde.num_blocks();
  const int64_t n = x.size(0);
  auto [u0, log_q] = initial_state(sde, x.to(at::kDouble).cpu(), gen);
  const at::TensorOptions state_options = at::TensorOptions().dtype(options.dtype).device(options.device);
  const at::Tensor probes = trace_registry().at(options.trace).value == TraceKind::kExact
                                ? at::Tensor()
                                : draw_probes(options, x.sizes(), gen).to(state_options);

  CountingScoreModel counted(model);
  const ProbabilityFlow flow(sde, counted, n, x[0].numel(), state_options);
  const ScoreDivergence divergence(counted, k, probes);
  const std::vector<int64_t> shape = u0.sizes().vec();
  const int64_t width = u0[0].numel();

  // The joint state [u (flattened), Δ] as one tensor [N, K·d + 1]; the error
  // norm treats Δ as its own group (torchdiffeq's tuple norm, as CLD-SGM), so
  // its accuracy does not dilute among the K·d state coordinates.
  auto f = [&](const at::Tensor& y, double t) {
    const at::Tensor u = y.narrow(1, 0, width).reshape(shape);
    const ProbabilityFlow::Point p = flow.at(t);
    const ScoreDivergence::Result s = divergence(u, p.times);
    const at::Tensor du = flow.drift(u, s.score, p);
    const at::Tensor d_delta = (flow.linear_divergence(p) - p.half_g2 * s.divergence).unsqueeze(1);
    return at::cat({du.reshape({n, width}), d_delta.to(y.dtype())}, 1);
  };
  const at::Tensor y0 = at::cat({u0.reshape({n, width}), at::zeros({n, 1}, u0.options())}, 1).to(state_options);
  AdaptiveOptions adaptive;
  adaptive.atol = options.atol;
  adaptive.rtol = options.rtol;
  adaptive.error_groups = {width, 1};
  AdaptiveStats stats;
  AcceptedStepCallback on_step;
  if (progress) on_step = [&](double, double t_next, const at::Tensor&) { progress(t_next, counted.count()); };
  const at::Tensor y =
      integrate_adaptive(f, y0, options.t_eps, sde.t_max(), adaptive, &stats, on_step).to(at::kDouble).cpu();

  LikelihoodBatch out;
  out.initial_state = u0;
  out.final_state = y.narrow(1, 0, width).reshape(shape);
  out.delta_log_prob = y.select(1, width).contiguous();
  out.state_log_prob = sde.prior_log_prob(out.final_state) + out.delta_log_prob;
  out.aux_log_prob = log_q;
  out.log_likelihood = out.state_log_prob - out.aux_log_prob;
  out.nfe = counted.count();
  return out;
}

at::Tensor dequantize(const at::Tensor& pixels, at::Generator gen) {
  const at::Tensor k = pixels.to(at::kDouble).cpu();
  const at::Tensor u = at::empty(k.sizes(), k.options()).uniform_(0.0, 1.0, gen);
  return (k + u).mul_(2.0 / 256.0).sub_(1.0);
}

at::Tensor bits_per_dim(const at::Tensor& log_likelihood, int64_t dim) {
  return -log_likelihood / (static_cast<double>(dim) * std::log(2.0)) + 7.0;
}

at::Tensor nats_per_dim(const at::Tensor& log_likelihood, int64_t dim) {
  return -log_likelihood / static_cast<double>(dim);
}

MeanWithError mean_with_error(const at::Tensor& values) {
  const at::Tensor v = values.to(at::kDouble).flatten();
  MeanWithError m;
  m.n = v.numel();
  if (m.n == 0) return m;
  m.mean = v.mean().item<double>();
  if (m.n > 1) m.standard_error = v.std().item<double>() / std::sqrt(static_cast<double>(m.n));
  return m;
}

}  // namespace hold
