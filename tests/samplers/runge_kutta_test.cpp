// The Butcher tableaux and the adaptive Dormand–Prince driver on a linear ODE
// with a closed-form solution.
#include "hold/samplers/runge_kutta.h"

#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>

#include "hold/core/error.h"
#include "support/allclose.h"

namespace hold {
namespace {

/// y' = A y with A = [[0, 1], [−ω², −γ]] (a damped rotation), y [N, 2].
at::Tensor damped_rotation() { return at::tensor(std::vector<double>{0.0, 1.0, -25.0, -0.3}).view({2, 2}); }

/// exp(t A) y0 for the 2×2 A above via torch's matrix exponential.
at::Tensor exact(const at::Tensor& y0, double t) {
  return at::matmul(y0, at::linalg_matrix_exp(damped_rotation() * t).t());
}

}  // namespace

TEST_CASE("Butcher tableaux are consistent", "[samplers]") {
  for (const Tableau* t : {&euler_tableau(), &heun_tableau(), &rk4_tableau(), &dopri5_tableau()}) {
    CAPTURE(t->name);
    double b_sum = 0, err_sum = 0;
    for (double b : t->b) b_sum += b;
    for (double e : t->b_err) err_sum += e;
    CHECK(b_sum == Approx(1.0).epsilon(1e-15));
    CHECK(err_sum == Approx(0.0).margin(1e-15));
    for (int j = 0; j < t->stages(); ++j) {  // row sums equal the nodes
      double row = 0;
      for (double a : t->a[j]) row += a;
      CHECK(row == Approx(t->c[j]).margin(1e-15));
    }
  }
  CHECK(dopri5_tableau().fsal());
  CHECK(!rk4_tableau().fsal());
  CHECK(find_fixed_step_tableau("heun") == &heun_tableau());
  CHECK(find_fixed_step_tableau("dopri5") == nullptr);
}

TEST_CASE("Dormand-Prince integrates a linear ODE to its tolerance in either direction", "[samplers]") {
  const double tol = GENERATE(1e-5, 1e-8);
  const bool backwards = GENERATE(false, true);
  CAPTURE(tol, backwards);
  auto y0 = at::tensor(std::vector<double>{1.0, 0.0, 0.5, -2.0}).view({2, 2});
  const double t0 = backwards ? 2.0 : 0.0, t1 = backwards ? 0.0 : 2.0;
  AdaptiveOptions o;
  o.atol = o.rtol = tol;
  AdaptiveStats stats;
  int64_t seen = 0;
  double last_t = t0;
  auto y = integrate_adaptive([](const at::Tensor& y, double) { return at::matmul(y, damped_rotation().t()); }, y0, t0,
                              t1, o, &stats,
                              [&](double t, double t_next, const at::Tensor&) {
                                CHECK(t == last_t);
                                last_t = t_next;
                                ++seen;
                              });
  CAPTURE(stats.nfe, stats.accepted, stats.rejected);
  CHECK(last_t == t1);
  CHECK(seen == stats.accepted);
  // FSAL: f(y0) and the initial-step probe, then 6 evaluations per attempt.
  CHECK(stats.nfe == 2 + 6 * (stats.accepted + stats.rejected));
  // Global error stays within a small multiple of the tolerance (|y| ~ 5).
  REQUIRE_ALLCLOSE(y, exact(y0, t1 - t0), 50 * tol);
}

TEST_CASE("Dormand-Prince stops with a NumericalError when the state blows up", "[samplers]") {
  AdaptiveOptions o;
  o.max_steps = 50;
  auto blow_up = [](const at::Tensor& y, double) { return y * y; };  // y' = y², y(0) = 1 explodes at t = 1
  CHECK_THROWS_AS(integrate_adaptive(blow_up, at::ones({1}, at::kDouble), 0.0, 2.0, o), NumericalError);
}

}  // namespace hold
