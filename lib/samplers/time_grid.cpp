// Time grids of math.md §4: the grid is a value, built once per run; samplers
// only walk it.
#include <cmath>
#include <stdexcept>
#include <string>

#include "hold/core/error.h"
#include "hold/core/format.h"
#include "hold/samplers/driver.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/linear_sde.h"

namespace hold {
namespace {

void check_span(int64_t steps, double t_max, double t_s) {
  if (steps < 1) {
    throw ConfigError("a time grid needs at least one step, got " + std::to_string(steps) + " (sample.nfe)");
  }
  if (!(t_s < t_max)) {
    throw ConfigError("the grid must run from a start time above t_s = " + std::to_string(t_s) + ", got " +
                      std::to_string(t_max) + " (sample.t_s)");
  }
}

/// The grid t_i = t(w_i) for a map w ∈ [0, 1] → [t_s, t_max] in a variable
/// where the grid is uniform (frac runs 1 → 0), exact ends whatever the rounding.
template <class Map>
std::vector<double> grid_of(int64_t steps, double t_max, double t_s, const Map& time_at) {
  std::vector<double> grid(steps + 1);
  for (int64_t i = 0; i <= steps; ++i) {
    grid[i] = time_at(1.0 - static_cast<double>(i) / static_cast<double>(steps));
  }
  grid.front() = t_max;
  grid.back() = t_s;
  return grid;
}

/// The forward time in [t_s, t_max] where λ(t) = target (λ decreases in t).
double time_of_log_snr(const LinearSde& sde, double target, double t_s, double t_max) {
  double lo = t_s, hi = t_max;
  for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    (log_snr(sde, mid) > target ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

/// A grid uniform in some monotone function of λ: `lambda_at(frac)` gives λ
/// for frac from 1 (t_max) to 0 (t_s).
template <class Lambda>
std::vector<double> snr_grid(const LinearSde& sde, int64_t steps, double t_max, double t_s, const Lambda& lambda_at) {
  std::vector<double> grid =
      grid_of(steps, t_max, t_s, [&](double frac) { return time_of_log_snr(sde, lambda_at(frac), t_s, t_max); });
  for (size_t i = 0; i + 1 < grid.size(); ++i) {
    if (!(grid[i + 1] < grid[i])) {
      throw ConfigError("the " + sde.name() + " SDE's log-SNR is not monotone on [" + fmt(t_s) + ", " + fmt(t_max) +
                        "] (near t = " + fmt(grid[i]) + "); use a grid in t (sample.grid)");
    }
  }
  return grid;
}

}  // namespace

const Registry<Choice<GridKind>>& grid_registry() {
  static const Registry<Choice<GridKind>> registry(
      "time grid", "sample.grid",
      {
          {"uniform", GridKind::kUniform, "uniform in t"},
          {"quadratic", GridKind::kQuadratic, "quadratic in t: small steps near the data"},
          {"gddim", GridKind::kGddim, "uniform in √t (gDDIM's): t_i = (√T + i/N (√t_s − √T))²"},
          {"logsnr", GridKind::kLogSnr, "uniform in the x block's log-SNR λ (DPM-Solver's)"},
          {"karras", GridKind::kKarras, "Karras et al.'s ρ = 7 spacing of σ = e^{−λ} (EDM's)"},
          {"auto", GridKind::kAuto, "the sampler's own: logsnr for dpmpp2m, karras for edm, quadratic otherwise"},
      });
  return registry;
}

const std::string& grid_name(GridKind kind) {
  for (const auto& e : grid_registry().entries()) {
    if (e.value == kind) return e.name;
  }
  throw std::logic_error("a GridKind without a grid_registry() entry");
}

double log_snr(const LinearSde& sde, double t) {
  const detail::ScalarMarginal m = detail::scalar_marginal(sde, t);
  return std::log(std::abs(m.alpha) / m.sigma);
}

std::vector<double> make_time_grid(GridKind kind, int64_t steps, double t_max, double t_s) {
  check_span(steps, t_max, t_s);
  switch (kind) {
    case GridKind::kUniform: return grid_of(steps, t_max, t_s, [&](double w) { return t_s + (t_max - t_s) * w; });
    case GridKind::kQuadratic: return grid_of(steps, t_max, t_s, [&](double w) { return t_s + (t_max - t_s) * w * w; });
    case GridKind::kGddim: {
      const double a = std::sqrt(t_s), b = std::sqrt(t_max);
      return grid_of(steps, t_max, t_s, [&](double w) { return (a + (b - a) * w) * (a + (b - a) * w); });
    }
    default: throw ConfigError("the " + grid_name(kind) + " grid needs the SDE (sample.grid)");
  }
}

std::vector<double> make_time_grid(const LinearSde& sde, GridKind kind, int64_t steps, double t_max, double t_s) {
  check_span(steps, t_max, t_s);
  const double l_max = log_snr(sde, t_s), l_min = log_snr(sde, t_max);
  if (kind == GridKind::kLogSnr) {
    return snr_grid(sde, steps, t_max, t_s, [&](double w) { return l_max + (l_min - l_max) * w; });
  }
  if (kind == GridKind::kKarras) {
    // σ_i^{1/ρ} uniform between σ_min = e^{−λ(t_s)} and σ_max = e^{−λ(T)}.
    constexpr double kRho = 7.0;
    const double a = std::exp(-l_max / kRho), b = std::exp(-l_min / kRho);
    return snr_grid(sde, steps, t_max, t_s, [&](double w) { return -kRho * std::log(a + (b - a) * w); });
  }
  return make_time_grid(kind, steps, t_max, t_s);
}

}  // namespace hold
