#pragma once
// The sampler and ODE-solver registries (core/registry.h). A sampler is one
// file defining detail::<id>_sampler() and one line in sampler_list.h.
#include <functional>
#include <string>

#include "hold/core/registry.h"
#include "hold/samplers/driver.h"

namespace hold {

struct SamplerEntry {
  std::string name;
  std::string help;
  /// Checks the combination with the SDE (e.g. pc needs K = 1); throws
  /// ConfigError naming "sample.method". May be empty.
  std::function<void(const SamplerOptions&, const LinearSde&)> check;
  /// The fixed-grid method for these options (its NFE per step and its
  /// stepper); not called when `adaptive` says so.
  std::function<detail::FixedGridMethod(const SamplerOptions&)> fixed_grid;
  /// Whether these options run the adaptive driver instead (ode + rk45).
  std::function<bool(const SamplerOptions&)> adaptive = [](const SamplerOptions&) { return false; };
  /// Whether a step uses evaluations of earlier steps (ei, dpmpp2m): such a
  /// history is stale after a retaken step, so resampling refuses it.
  bool multistep = false;
};

struct OdeSolverEntry {
  std::string name;
  std::string help;
  bool adaptive = false;  ///< rk45: error-controlled steps (sample.atol/rtol), no grid
};

/// sample.method: em | lt | pc | ode (sampler_list.h).
const Registry<SamplerEntry>& sampler_registry();
/// sample.ode_solver: rk45 | euler | heun | rk4.
const Registry<OdeSolverEntry>& ode_solver_registry();

namespace detail {
// The entries, one per file (em.cpp, lt.cpp, pc.cpp, ode.cpp, ei.cpp).
#define HOLD_SAMPLER(id) SamplerEntry id##_sampler();
#include "hold/samplers/sampler_list.h"
#undef HOLD_SAMPLER
}  // namespace detail

}  // namespace hold
