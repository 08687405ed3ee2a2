// Time grids of math.md §4.
#include <catch2/catch.hpp>

#include <cmath>

#include "hold/core/error.h"
#include "hold/samplers/sampler.h"

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

TEST_CASE("A time grid without steps or with t_s above its start is a ConfigError", "[samplers]") {
  CHECK_THROWS_AS(make_time_grid(GridKind::kUniform, 0, 1.0, 1e-3), ConfigError);
  CHECK_THROWS_WITH(make_time_grid(GridKind::kQuadratic, 5, 1e-3, 1e-2), Catch::Contains("(sample.t_s)"));
}

}  // namespace hold
