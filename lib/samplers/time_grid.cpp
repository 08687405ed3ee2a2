// Time grids of math.md §4: the grid is a value, built once per run; samplers
// only walk it.
#include <cmath>

#include "hold/core/error.h"
#include "hold/samplers/sampler.h"

namespace hold {

std::vector<double> make_time_grid(GridKind kind, int64_t steps, double t_max, double t_s) {
  if (steps < 1) {
    throw ConfigError("a time grid needs at least one step, got " + std::to_string(steps) + " (sample.nfe)");
  }
  if (!(t_s < t_max)) {
    throw ConfigError("the grid must run from a start time above t_s = " + std::to_string(t_s) + ", got " +
                      std::to_string(t_max) + " (sample.t_s)");
  }
  std::vector<double> grid(steps + 1);
  for (int64_t i = 0; i <= steps; ++i) {
    const double frac = 1.0 - static_cast<double>(i) / static_cast<double>(steps);  // 1 → 0
    const double w = kind == GridKind::kQuadratic ? frac * frac : frac;
    grid[i] = t_s + (t_max - t_s) * w;
  }
  grid.front() = t_max;  // exact ends, whatever the rounding
  grid.back() = t_s;
  return grid;
}

}  // namespace hold
