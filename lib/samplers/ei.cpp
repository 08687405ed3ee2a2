// ei: the exponential integrator on the probability-flow ODE in the
// data-prediction frame (math.md §9), 1 NFE per step. The linear part
// A = F + ½ D Σ_c⁻¹ is solved exactly (its flow Ξ stays bounded, unlike Φ(−Δb)),
// and x̂ = E[x₀ | u], read off the last-block score, is extrapolated by a
// multistep polynomial through the last q + 1 grid nodes:
//   u_{i+1} = Ξ_i u_i + Σ_j c_ij x̂_{i−j}.
// Every coefficient is K×K float64, computed once per grid
// (samplers/ei_coefficients.h); a step is one score evaluation and q + 2 block
// maps. Order 0 is DDIM's update in this frame; for K = 1 order q is
// DPM-Solver++'s multistep data prediction with a polynomial in b.
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
  std::vector<BlockMap> xhat_u;                ///< per node: a (1×K), x̂ = a·u + α s
  std::vector<double> xhat_s;                  ///< per node: α
  std::vector<BlockMap> flow;                  ///< per step: Ξ_i
  std::vector<std::vector<BlockMap>> weights;  ///< per step: c_ij (K×1), newest node first
  std::vector<at::Tensor> times;               ///< per node: [N] = t_i
};

EiMaps prepare_maps(const SamplerContext& ctx, const std::vector<double>& grid) {
  const SamplerOptions& o = ctx.options;
  const int order = o.order >= 0 ? static_cast<int>(o.order) : default_order(ctx.sde);
  Mat sigma0 = ctx.sde.default_initial_cov();
  sigma0(0, 0) = o.frame_var;
  const EiCoefficients c = data_frame_coefficients(ctx.sde, sigma0, grid, order);
  EiMaps m;
  for (size_t i = 0; i + 1 < grid.size(); ++i) {
    m.xhat_u.push_back(ctx.block_map(c.nodes[i].xhat_u));
    m.xhat_s.push_back(c.nodes[i].xhat_s);
    m.times.push_back(ctx.times(grid[i]));
    m.flow.push_back(ctx.block_map(c.steps[i].flow));
    std::vector<BlockMap> w;
    for (const Mat& cij : c.steps[i].weights) w.push_back(ctx.block_map(cij));
    m.weights.push_back(std::move(w));
  }
  return m;
}

}  // namespace

FixedGridMethod ei_method() {
  auto prepare = [](const SamplerContext& ctx, const std::vector<double>& grid) -> GridStepper {
    return [&ctx, maps = prepare_maps(ctx, grid), history = std::deque<at::Tensor>()](int64_t i,
                                                                                      const at::Tensor& u) mutable {
      if (i == 0) history.clear();
      at::Tensor xhat = maps.xhat_u[i].apply(u);
      xhat.add_(ctx.model.score(u, maps.times[i]), maps.xhat_s[i]);
      history.push_front(xhat);
      const std::vector<BlockMap>& w = maps.weights[i];
      while (history.size() > w.size()) history.pop_back();
      at::Tensor next = maps.flow[i].apply(u);
      for (size_t j = 0; j < w.size(); ++j) w[j].add_to(next, history[j]);
      return next;
    };
  };
  return {"ei", 1, prepare};
}

SamplerEntry ei_sampler() {
  auto check = [](const SamplerOptions&, const LinearSde& sde) {
    if (sde.is_subvp()) {
      throw ConfigError(
          "the ei sampler needs the time-change form du = β(t)(F u dt + G dW), which subvp lacks (its "
          "g² is not proportional to β); use em, pc or ode (sample.method)");
    }
  };
  return {"ei",
          "exponential integrator on the probability-flow ODE, data-prediction frame (sample.order; 1 NFE per step; "
          "20–50 NFE)",
          check, [](const SamplerOptions&) { return ei_method(); }};
}

}  // namespace hold::detail
