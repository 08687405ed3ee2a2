// math.md §9: the data-prediction frame's exponential-integrator coefficients
// against their closed form (order 0), an RK4 solution of the ODE with a
// polynomial x̂ (orders 1–3), and the x̂ read-off for a point mass.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "hold/samplers/ei_coefficients.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/data_frame.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/presets.h"
#include "support/ei_polynomials.h"
#include "support/preset.h"

using namespace hold;
using hold::test::e_x;
using hold::test::poly;

namespace {

const std::vector<std::pair<std::string, int>> kPresets = {{"vp", 1}, {"cld", 2}, {"hold", 3}, {"hold", 4}};

/// u(b1) by RK4 on du/db = (F + ½DΣ_c⁻¹) u − ½ D Σ_c⁻¹ Φ e_x p(b), steps geometric in b.
Mat reference_step(const LinearSde& sde, const Mat& sigma0, int degree, double b0, double b1, Mat u, int steps) {
  auto f = [&](double b, const Mat& x) {
    const Kernel kern = sde.kernel_at_b(b);
    Mat inv;
    REQUIRE(try_inverse(congruence(kern.phi, sigma0) + kern.q, &inv));
    const Mat d_inv = 0.5 * (sde.diffusion() * inv);
    return (sde.drift() + d_inv) * x - (d_inv * e_x(kern.phi)) * poly(degree, b);
  };
  double p = b0;
  for (int n = 1; n <= steps; ++n) {
    const double q = b0 * std::pow(b1 / b0, static_cast<double>(n) / steps);
    const double h = q - p;
    const Mat k1 = f(p, u);
    const Mat k2 = f(p + 0.5 * h, u + (0.5 * h) * k1);
    const Mat k3 = f(p + 0.5 * h, u + (0.5 * h) * k2);
    const Mat k4 = f(q, u + h * k3);
    u += (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
    p = q;
  }
  return u;
}

}  // namespace

TEST_CASE("ei: Gauss–Legendre integrates degree 2n − 1 exactly", "[samplers][ei]") {
  std::vector<double> x, w;
  gauss_legendre(16, &x, &w);
  for (int p = 0; p <= 31; ++p) {
    double sum = 0.0;
    for (size_t i = 0; i < x.size(); ++i) sum += w[i] * std::pow(x[i], p);
    CHECK(sum == Approx(p % 2 ? 0.0 : 2.0 / (p + 1)).margin(1e-14));
  }
}

TEST_CASE("ei: order-0 weights equal Φ_{i+1} e_x − Ξ_i Φ_i e_x (quadrature vs closed form)", "[samplers][ei]") {
  for (const auto& [name, order] : kPresets) {
    const LinearSde sde = preset(name, order);
    for (int n : {5, 20}) {
      const std::vector<double> grid = make_time_grid(GridKind::kQuadratic, n, sde.t_max(), 1e-3);
      const EiCoefficients c = data_frame_coefficients(sde, sde.default_initial_cov(), grid, 0);
      REQUIRE(c.steps.size() == grid.size() - 1);
      for (size_t i = 0; i + 1 < grid.size(); ++i) {
        INFO(name << " order " << order << " N = " << n << " step " << i);
        const Mat closed = e_x(sde.kernel(grid[i + 1]).phi) - c.steps[i].flow * e_x(sde.kernel(grid[i]).phi);
        // Measured: ≤ 1e-11 relative except the intervals ending at t_s = 1e-3
        // for K ≥ 3, where Σ_c's conditioning leaves 4e-10 (K = 3) and 1e-9 (K = 4).
        CHECK((c.steps[i].weights[0] - closed).max_abs() <= 1e-8 * std::max(1.0, closed.max_abs()));
      }
    }
  }
}

TEST_CASE("ei: a step is exact for x̂ polynomial in b of the step's order (RK4 reference)", "[samplers][ei]") {
  for (const auto& [name, order] : kPresets) {
    const LinearSde sde = preset(name, order);
    const Mat sigma0 = sde.default_initial_cov();
    const std::vector<double> grid = make_time_grid(GridKind::kQuadratic, 6, sde.t_max(), 1e-3);
    for (int q = 1; q <= 3; ++q) {
      const EiCoefficients c = data_frame_coefficients(sde, sigma0, grid, q);
      for (size_t i = q; i + 1 < grid.size(); ++i) {
        INFO(name << " order " << order << " q = " << q << " step " << i);
        const int k = sde.num_blocks();
        Mat u(k, 1);
        for (int r = 0; r < k; ++r) u(r, 0) = 0.5 - 0.3 * r;
        Mat ei = c.steps[i].flow * u;
        REQUIRE(c.steps[i].weights.size() == static_cast<size_t>(q) + 1);
        for (int j = 0; j <= q; ++j) ei += c.steps[i].weights[j] * poly(q, sde.big_b(grid[i - j]));
        const Mat ref = reference_step(sde, sigma0, q, sde.big_b(grid[i]), sde.big_b(grid[i + 1]), u, 20000);
        CHECK((ei - ref).max_abs() <= 1e-9 * std::max(1.0, ref.max_abs()));
        // One degree more is not exact: the test can tell.
        if (q < 3) {
          Mat off = c.steps[i].flow * u;
          for (int j = 0; j <= q; ++j) off += c.steps[i].weights[j] * poly(q + 1, sde.big_b(grid[i - j]));
          const Mat ref_off = reference_step(sde, sigma0, q + 1, sde.big_b(grid[i]), sde.big_b(grid[i + 1]), u, 20000);
          CHECK((off - ref_off).max_abs() > 1e-7);
        }
      }
    }
  }
}

TEST_CASE("ei: x̂ read off the last-block score of a point mass is the point", "[samplers][ei]") {
  for (const auto& [name, order] : kPresets) {
    const LinearSde sde = preset(name, order);
    const Mat sigma0 = sde.default_initial_cov();
    const std::vector<double> grid = make_time_grid(GridKind::kQuadratic, 8, sde.t_max(), 1e-3);
    const EiCoefficients c = data_frame_coefficients(sde, sigma0, grid, 0);
    const double x0 = 0.7;
    for (size_t i = 0; i < grid.size(); ++i) {
      INFO(name << " order " << order << " t = " << grid[i]);
      const int k = sde.num_blocks();
      const Kernel kern = sde.kernel(grid[i]);
      const Mat sigma = congruence(kern.phi, sigma0) + kern.q;
      // A state drawn near the kernel's mean: u = Φ e_x x₀ + L z.
      const Mat l = DataFrame(sde, sigma0).factor(grid[i]);
      Mat z(k, 1);
      for (int r = 0; r < k; ++r) z(r, 0) = 0.8 - 0.5 * r;
      const Mat u = e_x(kern.phi) * x0 + l * z;
      Mat inv;
      REQUIRE(try_inverse(sigma, &inv));
      const double s_k = -(inv * (u - e_x(kern.phi) * x0))(k - 1, 0);
      double xhat = c.nodes[i].xhat_s * s_k;
      for (int r = 0; r < k; ++r) xhat += c.nodes[i].xhat_u(0, r) * u(r, 0);
      CHECK(xhat == Approx(x0).margin(1e-8));
    }
  }
}
