// Time grids of math.md §4.
#include <catch2/catch.hpp>

#include <cmath>

#include <string>

#include "hold/core/error.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/linear_sde.h"
#include "support/preset.h"

namespace hold {

TEST_CASE("Uniform and quadratic time grids follow their closed forms", "[samplers]") {
  const double t_max = GENERATE(1.0, 0.4);
  const double t_s = 1e-3;
  const int64_t n = 10;
  CAPTURE(t_max);
  const auto uniform = make_time_grid(GridKind::kUniform, n, t_max, t_s);
  const auto quadratic = make_time_grid(GridKind::kQuadratic, n, t_max, t_s);
  REQUIRE(uniform.size() == n + 1);
  REQUIRE(quadratic.size() == n + 1);
  CHECK(uniform.front() == t_max);
  CHECK(uniform.back() == t_s);
  CHECK(quadratic.front() == t_max);
  CHECK(quadratic.back() == t_s);
  for (int64_t i = 0; i <= n; ++i) {
    const double frac = 1.0 - double(i) / n;
    CHECK(uniform[i] == Approx(t_max - (t_max - t_s) * double(i) / n).epsilon(1e-14).margin(1e-15));
    CHECK(quadratic[i] == Approx(t_s + (t_max - t_s) * frac * frac).epsilon(1e-14).margin(1e-15));
    if (i > 0) {
      CHECK(uniform[i] < uniform[i - 1]);
      CHECK(quadratic[i] < quadratic[i - 1]);
      // Quadratic steps shrink towards the data: h_i = (T − t_s)(2(N − i) + 1)/N².
      CHECK(quadratic[i - 1] - quadratic[i] == Approx((t_max - t_s) * (2.0 * (n - i) + 1) / (n * n)).epsilon(1e-12));
    }
  }
}

TEST_CASE("gDDIM's grid is uniform in the square root of t", "[samplers]") {
  const double t_max = 1.0, t_s = 1e-3;
  const int64_t n = 8;
  const auto grid = make_time_grid(GridKind::kGddim, n, t_max, t_s);
  REQUIRE(grid.size() == n + 1);
  CHECK(grid.front() == t_max);
  CHECK(grid.back() == t_s);
  for (int64_t i = 0; i <= n; ++i) {
    const double root = std::sqrt(t_max) + double(i) / n * (std::sqrt(t_s) - std::sqrt(t_max));
    CHECK(grid[i] == Approx(root * root).epsilon(1e-14));
  }
}

TEST_CASE("The logsnr and karras grids are uniform in λ and in σ^(1/7) for every preset", "[samplers]") {
  // λ(t) = log Φ_xx − ½ log Σ_xx is monotone for all of them; the bisection
  // inverts it to ~1e-15 in t.
  const std::string name = GENERATE("vp", "ve", "subvp", "cld", "hold");
  CAPTURE(name);
  const LinearSde sde = preset(name);
  const double t_s = 1e-3;
  const int64_t n = 12;
  const auto logsnr = make_time_grid(sde, GridKind::kLogSnr, n, sde.t_max(), t_s);
  const auto karras = make_time_grid(sde, GridKind::kKarras, n, sde.t_max(), t_s);
  REQUIRE(logsnr.size() == n + 1);
  REQUIRE(karras.size() == n + 1);
  const double l0 = log_snr(sde, sde.t_max()), l1 = log_snr(sde, t_s);
  REQUIRE(l1 > l0);
  for (int64_t i = 0; i <= n; ++i) {
    CAPTURE(i);
    CHECK(log_snr(sde, logsnr[i]) == Approx(l0 + (l1 - l0) * double(i) / n).margin(1e-9));
    const double a = std::exp(-l0 / 7), b = std::exp(-l1 / 7);
    CHECK(std::exp(-log_snr(sde, karras[i]) / 7) == Approx(a + (b - a) * double(i) / n).epsilon(1e-9));
    if (i > 0) {
      CHECK(logsnr[i] < logsnr[i - 1]);
      CHECK(karras[i] < karras[i - 1]);
    }
  }
  // The SDE-free overload refuses them, naming the key.
  CHECK_THROWS_WITH(make_time_grid(GridKind::kLogSnr, n, 1.0, t_s), Catch::Contains("(sample.grid)"));
}

TEST_CASE("A time grid without steps or with t_s above its start is a ConfigError", "[samplers]") {
  CHECK_THROWS_AS(make_time_grid(GridKind::kUniform, 0, 1.0, 1e-3), ConfigError);
  CHECK_THROWS_WITH(make_time_grid(GridKind::kQuadratic, 5, 1e-3, 1e-2), Catch::Contains("(sample.t_s)"));
}

}  // namespace hold
