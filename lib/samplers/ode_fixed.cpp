// ode with a fixed-step solver (euler | heun | rk4): one generic explicit RK step
// per grid interval on the probability-flow ODE, stages × 1 NFE per step.
#include <ATen/ATen.h>

#include <memory>

#include "hold/core/error.h"
#include "hold/samplers/driver.h"
#include "hold/samplers/probability_flow.h"
#include "hold/samplers/runge_kutta.h"

namespace hold::detail {

FixedGridMethod ode_fixed_method(const std::string& solver) {
  const Tableau* tableau = find_fixed_step_tableau(solver);
  if (!tableau) throw ConfigError("'" + solver + "' is not a fixed-step ODE solver (sample.ode_solver)");
  auto prepare = [tableau](const SamplerContext& ctx, const std::vector<double>& grid) -> GridStepper {
    auto flow = std::make_shared<ProbabilityFlow>(ctx.sde, ctx.model, ctx.batch(), ctx.block_numel, ctx.state_options);
    // Coefficients of every stage of every step, computed once.
    std::vector<std::vector<ProbabilityFlow::Point>> points(grid.size() - 1);
    for (size_t i = 0; i + 1 < grid.size(); ++i) {
      const double h = grid[i + 1] - grid[i];  // negative: forward time decreases
      for (double c : tableau->c) points[i].push_back(flow->at(grid[i] + c * h));
    }
    return [tableau, flow, points = std::move(points), grid](int64_t i, const at::Tensor& u) {
      const auto& stage_points = points[i];
      auto stage = [&](int j, const at::Tensor& y) { return (*flow)(y, stage_points[j]); };
      return explicit_rk_step(*tableau, stage, u, grid[i + 1] - grid[i]).y;
    };
  };
  return {"ode/" + solver, tableau->stages(), prepare};
}

}  // namespace hold::detail
