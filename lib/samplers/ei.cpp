// ei: the exponential integrator on the probability-flow ODE (math.md §9),
// 1 NFE per step. Frame x (the default), the data-prediction frame: The linear part
// A = F + ½ D Σ_c⁻¹ is solved exactly (its flow Ξ stays bounded, unlike Φ(−Δb)),
// and x̂ = E[x₀ | u], read off the last-block score, is extrapolated by a
// multistep polynomial through the last q + 1 grid nodes:
//   u_{i+1} = Ξ_i u_i + Σ_j c_ij x̂_{i−j}.
// Every coefficient is K×K float64, computed once per grid
// (samplers/ei_coefficients.h); a step is one score evaluation and q + 2 block
// maps. Order 0 is DDIM's update in this frame; for K = 1 order q is
// DPM-Solver++'s multistep data prediction with a polynomial in b.
// Frame l extrapolates the last block's ε = −ℓ s_K over the linear part F
// instead (same step, other coefficients): DPM-Solver's noise prediction for
// K = 1, kept for comparison; for HOLD it diverges at few steps. Frame r is
// gDDIM's: ε_R = −Rᵀ s of every block, which needs the full-state score (the
// oracle has it; last-block networks do not).
#include <ATen/ATen.h>

#include <deque>

#include "hold/core/error.h"
#include "hold/samplers/ei_coefficients.h"
#include "hold/samplers/sampler_registry.h"
#include "hold/sde/linear_sde.h"

namespace hold::detail {
namespace {

/// The order measured best per preset with the oracle (math.md §9): CLD and
/// the K = 1 SDEs gain from order 2, HOLD's third order from order 1.
int default_order(const LinearSde& sde) { return sde.num_blocks() >= 3 ? 1 : 2; }

struct EiMaps {
  bool full_score = false;                     ///< frame r: the prediction reads the full-state score
  std::vector<BlockMap> xhat_u;                ///< per node: a (1×K), x̂ = a·u + α s (frame l: ε, a = 0)
  std::vector<double> xhat_s;                  ///< per node: α
  std::vector<BlockMap> full_s;                ///< frame r, per node: ε_R = −R_iᵀ s (K×K)
  std::vector<BlockMap> flow;                  ///< per step: Ξ_i
  std::vector<BlockMap> noise;                 ///< per step (eta > 0): R_{i+1} N_i on N(0, I) of every block
  std::vector<std::vector<BlockMap>> weights;  ///< per step: c_ij (K×1; frame r K×K), newest node first
  std::vector<at::Tensor> times;               ///< per node: [N] = t_i
};

EiMaps prepare_maps(const SamplerContext& ctx, const std::vector<double>& grid) {
  const SamplerOptions& o = ctx.options;
  const int order = o.order >= 0 ? static_cast<int>(o.order) : default_order(ctx.sde);
  Mat sigma0 = ctx.sde.default_initial_cov();
  sigma0(0, 0) = o.frame_var;  // frame l: ε of the model's own kernel unless set
  const EiFrame frame = ei_frame_registry().at(o.frame).value;
  EiMaps m;
  m.full_score = frame == EiFrame::kR;
  if (m.full_score && !ctx.model.has_full_score()) {
    throw ConfigError(
        "frame r extrapolates ε_R of every block and needs a model with the full-state score (the oracle, or a "
        "network trained with objective.target: all); this one predicts the last block only: use x or l "
        "(sample.frame)");
  }
  const EiCoefficients c = frame == EiFrame::kData ? stochastic_frame_coefficients(ctx.sde, sigma0, grid, order, o.eta)
                           : frame == EiFrame::kCholesky ? cholesky_frame_coefficients(ctx.sde, sigma0, grid, order)
                                                         : r_frame_coefficients(ctx.sde, sigma0, grid, order);
  for (size_t i = 0; i + 1 < grid.size(); ++i) {
    if (m.full_score) {
      m.full_s.push_back(ctx.block_map(c.nodes[i].full_s));
    } else {
      m.xhat_u.push_back(ctx.block_map(c.nodes[i].xhat_u));
      m.xhat_s.push_back(c.nodes[i].xhat_s);
    }
    m.times.push_back(ctx.times(grid[i]));
    m.flow.push_back(ctx.block_map(c.steps[i].flow));
    if (c.steps[i].noise.rows() > 0) m.noise.push_back(ctx.block_map(c.steps[i].noise));
    std::vector<BlockMap> w;
    for (const Mat& cij : c.steps[i].weights) w.push_back(ctx.block_map(cij));
    m.weights.push_back(std::move(w));
  }
  return m;
}

/// The extrapolated quantity at node i: x̂, ε or ε_R (one score evaluation).
at::Tensor predict(const SamplerContext& ctx, const EiMaps& maps, int64_t i, const at::Tensor& u) {
  if (maps.full_score) return maps.full_s[i].apply(ctx.model.full_score(u, maps.times[i]));
  at::Tensor xhat = maps.xhat_u[i].apply(u);
  xhat.add_(ctx.model.score(u, maps.times[i]), maps.xhat_s[i]);
  return xhat;
}

}  // namespace

FixedGridMethod ei_method() {
  auto prepare = [](const SamplerContext& ctx, const std::vector<double>& grid) -> GridStepper {
    EiMaps maps = prepare_maps(ctx, grid);
    // The stochastic variant's noise of every block, drawn in step order.
    at::Tensor z = maps.noise.empty() ? at::Tensor() : at::empty(ctx.state_shape, ctx.state_options);
    return
        [&ctx, maps = std::move(maps), z, history = std::deque<at::Tensor>()](int64_t i, const at::Tensor& u) mutable {
          if (i == 0) history.clear();
          history.push_front(predict(ctx, maps, i, u));
          const std::vector<BlockMap>& w = maps.weights[i];
          while (history.size() > w.size()) history.pop_back();
          at::Tensor next = maps.flow[i].apply(u);
          for (size_t j = 0; j < w.size(); ++j) w[j].add_to(next, history[j]);
          if (z.defined()) {
            ctx.noise(z);
            maps.noise[i].add_to(next, z);
          }
          return next;
        };
  };
  return {"ei", 1, prepare};
}

}  // namespace hold::detail

namespace hold {

const Registry<Choice<EiFrame>>& ei_frame_registry() {
  static const Registry<Choice<EiFrame>> registry(
      "ei frame", "sample.frame",
      {
          {"x", EiFrame::kData, "data prediction x̂ = E[x₀ | u] over the bounded flow of F + ½ D Σ_c⁻¹ (the default)"},
          {"l", EiFrame::kCholesky, "the last block's ε = −ℓ s_K over the flow of F (DPM-Solver's for K = 1)"},
          {"r", EiFrame::kR, "gDDIM's ε_R = −Rᵀ s of every block over the flow of F (needs the full-state score)"},
      });
  return registry;
}

}  // namespace hold

namespace hold::detail {

SamplerEntry ei_sampler() {
  auto check = [](const SamplerOptions&, const LinearSde& sde) {
    if (sde.is_subvp()) {
      throw ConfigError(
          "the ei sampler needs the time-change form du = β(t)(F u dt + G dW), which subvp lacks (its "
          "g² is not proportional to β); use em, pc or ode (sample.method)");
    }
  };
  SamplerEntry entry{"ei",
                     "exponential integrator on the probability-flow ODE, data-prediction frame (sample.order; 1 NFE "
                     "per step; 20–50 NFE)",
                     check, [](const SamplerOptions&) { return ei_method(); }};
  entry.multistep = true;
  return entry;
}

}  // namespace hold::detail
