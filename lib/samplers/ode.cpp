// ode: the probability-flow ODE (math.md §4) with the solver sample.ode_solver
// names: rk45 runs the adaptive driver (ode_adaptive.cpp), the others a fixed
// grid with their tableau (ode_fixed.cpp).
#include "hold/samplers/sampler_registry.h"

namespace hold {

const Registry<OdeSolverEntry>& ode_solver_registry() {
  static const Registry<OdeSolverEntry> registry(
      "ODE solver", "sample.ode_solver",
      {
          {"rk45", "adaptive Dormand–Prince 5(4), sample.atol/rtol", true},
          {"euler", "explicit Euler, 1 NFE per step", false},
          {"heun", "Heun's second-order method, 2 NFE per step", false},
          {"rk4", "classical fourth-order Runge–Kutta, 4 NFE per step", false},
      });
  return registry;
}

namespace detail {

SamplerEntry ode_sampler() {
  auto adaptive = [](const SamplerOptions& o) { return ode_solver_registry().at(o.ode_solver).adaptive; };
  return {"ode",
          "probability-flow ODE with sample.ode_solver (rk45 adaptive; euler, heun, rk4 on the grid)",
          {},
          [](const SamplerOptions& o) { return ode_fixed_method(o.ode_solver); },
          adaptive};
}

}  // namespace detail
}  // namespace hold
