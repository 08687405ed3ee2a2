// math.md §9.5: the stochastic data-prediction frame (`ei --eta η`). Its
// flow, weights and noise against RK4 solutions of the reverse SDE's mean and
// covariance equations, and exactness in law for Gaussian data.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "hold/core/gaussian_mixture.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/samplers/ei_coefficients.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/blocks.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/psd_factor.h"
#include "support/ei_polynomials.h"
#include "support/preset.h"

using namespace hold;
using hold::test::e_x;
using hold::test::poly;

namespace {

const std::vector<std::pair<std::string, int>> kPresets = {{"vp", 1}, {"cld", 2}, {"hold", 3}};

/// The mean m and noise covariance P of one reverse step from b0 to b1 < b0
/// of du = [Â u − (1+η²)/2 D Σ_c⁻¹ Φ e_x p(b)] db + η G dW̄,
/// Â = F + (1+η²)/2 D Σ_c⁻¹, by RK4 (steps geometric in b) on
///   dm/db = Â m − …,   dP/db = Â P + P Âᵀ − η² D,   P(b0) = 0.
std::pair<Mat, Mat> reference_step(const LinearSde& sde, const Mat& sigma0, double eta, int degree, double b0,
                                   double b1, const Mat& u, int steps) {
  const double mix = 0.5 * (1.0 + eta * eta);
  auto a_hat = [&](double b, Mat* forcing) {
    const Kernel kern = sde.kernel_at_b(b);
    Mat inv;
    REQUIRE(try_inverse(congruence(kern.phi, sigma0) + kern.q, &inv));
    const Mat d_inv = mix * (sde.diffusion() * inv);
    *forcing = (d_inv * e_x(kern.phi)) * (-poly(degree, b));
    return Mat(sde.drift() + d_inv);
  };
  auto f = [&](double b, const Mat& m, const Mat& p, Mat* dp) {
    Mat forcing;
    const Mat a = a_hat(b, &forcing);
    *dp = a * p + p * a.transpose() - (eta * eta) * sde.diffusion();
    return Mat(a * m + forcing);
  };
  Mat m = u, p(u.rows(), u.rows());
  double at = b0;
  for (int n = 1; n <= steps; ++n) {
    const double next = b0 * std::pow(b1 / b0, static_cast<double>(n) / steps);
    const double h = next - at;
    Mat p1, p2, p3, p4;
    const Mat m1 = f(at, m, p, &p1);
    const Mat m2 = f(at + 0.5 * h, m + (0.5 * h) * m1, p + (0.5 * h) * p1, &p2);
    const Mat m3 = f(at + 0.5 * h, m + (0.5 * h) * m2, p + (0.5 * h) * p2, &p3);
    const Mat m4 = f(next, m + h * m3, p + h * p3, &p4);
    m += (h / 6.0) * (m1 + 2.0 * m2 + 2.0 * m3 + m4);
    p += (h / 6.0) * (p1 + 2.0 * p2 + 2.0 * p3 + p4);
    at = next;
  }
  return {m, p};
}

}  // namespace

TEST_CASE("psd_factor factors positive semi-definite matrices, singular ones too", "[samplers][ei]") {
  const Mat b = Mat::from_rows({{2.0, 0.1}, {0.5, 1.5}, {0.3, -0.2}});
  const Mat a = b * b.transpose() + Mat::diag({1e-9, 0.5, 0.0});  // rank 3, one eigenvalue small
  const Mat n = psd_factor(a);
  CHECK((n * n.transpose() - a).max_abs() < 1e-13);
  // Rank one (the noise of a short step is nearly so).
  const Mat v = Mat::from_rows({{1.0}, {-2.0}, {0.5}});
  const Mat r1 = v * v.transpose();
  const Mat n1 = psd_factor(r1);
  CHECK((n1 * n1.transpose() - r1).max_abs() < 1e-13);
}

TEST_CASE("ei eta: flow, weights and noise solve the reverse SDE's mean and covariance (RK4)", "[samplers][ei]") {
  for (const auto& [name, order] : kPresets) {
    const LinearSde sde = preset(name, order);
    const Mat sigma0 = sde.default_initial_cov();
    const int k = sde.num_blocks();
    const std::vector<double> grid = make_time_grid(GridKind::kQuadratic, 6, sde.t_max(), 1e-3);
    for (const double eta : {0.5, 1.0}) {
      for (int q = 0; q <= 2; ++q) {
        const EiCoefficients c = stochastic_frame_coefficients(sde, sigma0, grid, q, eta);
        for (size_t i = q; i + 1 < grid.size(); ++i) {
          INFO(name << " eta " << eta << " q = " << q << " step " << i);
          const EiStep& step = c.steps[i];
          REQUIRE(step.noise.rows() == k);
          Mat u(k, 1);
          for (int r = 0; r < k; ++r) u(r, 0) = 0.5 - 0.3 * r;
          Mat mean = step.flow * u;
          for (int j = 0; j <= q; ++j) mean += step.weights[j] * poly(q, sde.big_b(grid[i - j]));
          const auto [ref_mean, ref_cov] =
              reference_step(sde, sigma0, eta, q, sde.big_b(grid[i]), sde.big_b(grid[i + 1]), u, 4000);
          const Mat cov = step.noise * step.noise.transpose();
          const Mat sigma_next = sde.marginal_cov(grid[i + 1], sigma0);
          // The RK4 reference (4000 steps per interval) is good to ~1e-10 here.
          CHECK((mean - ref_mean).max_abs() <= 1e-6 * std::max(1.0, ref_mean.max_abs()));
          CHECK((cov - ref_cov).max_abs() <= 1e-6 * sigma_next.max_abs());
          if (q == 0) {
            // Φ e_x x₀ solves the mean equation for x̂ ≡ x₀: the closed form of order 0.
            const Mat closed = e_x(sde.kernel(grid[i + 1]).phi) - step.flow * e_x(sde.kernel(grid[i]).phi);
            // Measured ≤ 4e-9, except the interval ending at t_s for hold with η = 1
            // (2.3e-7: M(b_{i+1}, τ) falls off like a high power of b there).
            const double tol = i + 2 == grid.size() ? 1e-6 : 1e-8;
            CHECK((step.weights[0] - closed).max_abs() <= tol * std::max(1.0, closed.max_abs()));
          }
        }
      }
    }
  }
}

TEST_CASE("ei eta: order 0 with the data's variance samples Gaussian data's marginal exactly", "[samplers][ei]") {
  // For data N(μ, v) and frame_var = v, x̂ ≡ μ at every state, so each step is
  // the exact transition of the reverse SDE: the state at t_s has the forward
  // marginal N(Φ e_x μ, Φ diag(v, …) Φᵀ + Q) at any NFE.
  const double mu = 0.3, v = 0.04;
  GaussianMixture data;
  data.weights = {1.0};
  data.means = {{mu}};
  data.stds = {{std::sqrt(v)}};
  for (const auto& [name, order] : kPresets) {
    const LinearSde sde = preset(name, order);
    GaussianMixtureOracle oracle(sde, data);
    for (const double eta : {0.5, 1.0}) {
      SamplerOptions o;
      o.method = "ei";
      o.order = 0;
      o.eta = eta;
      o.frame_var = v;
      o.nfe = 8;
      o.denoise = false;
      o.dtype = at::kDouble;
      auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
      const int64_t n = 40000, k = sde.num_blocks();
      Mat sigma0 = sde.default_initial_cov();
      sigma0(0, 0) = v;
      // Start from the exact marginal at T (the prior differs from it slightly).
      const double t_max = sde.t_max();
      const auto chol = at::linalg_cholesky(to_tensor(sde.marginal_cov(t_max, sigma0)));
      const auto mean_t = to_tensor(e_x(sde.kernel(t_max).phi)).view({1, k}) * mu;
      const auto u0 = mean_t + at::matmul(at::randn({n, k}, gen, at::TensorOptions().dtype(at::kDouble)), chol.t());
      const at::Tensor u = sample_from(sde, oracle, o, u0, t_max, gen).u;  // [n, K]
      const Mat cov = sde.marginal_cov(o.t_s, sigma0);
      const Mat phi = sde.kernel(o.t_s).phi;
      const auto centred = u - u.mean(0, /*keepdim=*/true);
      const auto sample_cov = at::matmul(centred.t(), centred) / static_cast<double>(n - 1);
      for (int r = 0; r < k; ++r) {
        INFO(name << " eta " << eta << " block " << r);
        const double se_mean = std::sqrt(cov(r, r) / n);
        CHECK(std::abs(u.select(1, r).mean().item<double>() - phi(r, 0) * mu) < 4.5 * se_mean);
        for (int c = 0; c <= r; ++c) {
          const double se = std::sqrt((cov(r, r) * cov(c, c) + cov(r, c) * cov(r, c)) / n);
          CHECK(std::abs(sample_cov[r][c].item<double>() - cov(r, c)) < 4.5 * se);
        }
      }
    }
  }
}
