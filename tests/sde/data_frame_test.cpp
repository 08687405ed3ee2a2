// math.md §9: the data-prediction frame's factor R (R Rᵀ = Σ_c, R = L W with W
// orthogonal) and its flow Ξ = R' R⁻¹, the exact flow of F + ½ D Σ_c⁻¹.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "hold/sde/data_frame.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/presets.h"
#include "support/preset.h"

using namespace hold;

namespace {

/// Σ₀ = the sampler's (x known, aux εΣ∞_kk) with x variance v.
Mat frame_sigma0(const LinearSde& sde, double v) {
  Mat s = sde.default_initial_cov();
  s(0, 0) = v;
  return s;
}

std::vector<double> quadratic_grid(double t_max, double t_s, int n) {
  std::vector<double> t;
  for (int i = 0; i <= n; ++i) t.push_back(t_s + (t_max - t_s) * std::pow(1.0 - static_cast<double>(i) / n, 2));
  return t;
}

/// Ξ(b1, b0) by classical RK4 on dΞ/db = (F + ½ D Σ_c⁻¹) Ξ, steps geometric in b.
Mat reference_flow(const LinearSde& sde, const Mat& sigma0, double b0, double b1, int steps) {
  const int k = sde.num_blocks();
  auto a = [&](double b) {
    const Kernel kern = sde.kernel_at_b(b);
    Mat inv;
    REQUIRE(try_inverse(congruence(kern.phi, sigma0) + kern.q, &inv));
    return sde.drift() + 0.5 * (sde.diffusion() * inv);
  };
  Mat x = Mat::identity(k);
  double p = b0;
  for (int n = 1; n <= steps; ++n) {
    const double q = b0 * std::pow(b1 / b0, static_cast<double>(n) / steps);
    const double h = q - p;
    const Mat am = a(p + 0.5 * h);
    const Mat k1 = a(p) * x;
    const Mat k2 = am * (x + (0.5 * h) * k1);
    const Mat k3 = am * (x + (0.5 * h) * k2);
    const Mat k4 = a(q) * (x + h * k3);
    x += (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
    p = q;
  }
  return x;
}

}  // namespace

TEST_CASE("data frame: R Rᵀ = Σ_c and L⁻¹R orthogonal on a quadratic grid down to t_s = 1e-3", "[sde][frame]") {
  const std::vector<std::pair<std::string, int>> presets = {{"cld", 2}, {"hold", 3}, {"hold", 4}};
  for (const auto& [name, order] : presets) {
    const LinearSde sde = preset(name, order);
    const Mat sigma0 = sde.default_initial_cov();
    const DataFrame frame(sde, sigma0);
    const std::vector<double> times = quadratic_grid(sde.t_max(), 1e-3, 10);
    const std::vector<Mat> r = frame.factors(times);
    REQUIRE(r.size() == times.size());
    for (size_t i = 0; i < times.size(); ++i) {
      INFO(name << " order " << order << " t = " << times[i]);
      const Mat sigma = sde.marginal_cov(times[i], sigma0);
      const Mat rrt = r[i] * r[i].transpose();
      const int k = sde.num_blocks();
      for (int a = 0; a < k; ++a)
        for (int b = 0; b < k; ++b)
          CHECK(std::abs(rrt(a, b) - sigma(a, b)) <= 1e-11 * std::sqrt(sigma(a, a) * sigma(b, b)));
      Mat l_inv;
      REQUIRE(try_inverse(frame.factor(times[i]), &l_inv));
      const Mat w = l_inv * r[i];
      CHECK((w.transpose() * w - Mat::identity(k)).max_abs() < 1e-11);
    }
  }
}

TEST_CASE("data frame: Ξ = R' R⁻¹ is the flow of F + ½ D Σ_c⁻¹ (RK4 reference)", "[sde][frame]") {
  // Down to t_s = 1e-3, with the training Σ₀ (x variance 0: Σ_c nearly
  // singular near the data) and with x variance 0.25. Measured: 1e-14 to 1e-12.
  struct Case {
    const char* name;
    int order;
    double v;
  };
  for (const Case c : {Case{"vp", 1, 0.0}, Case{"cld", 2, 0.0}, Case{"cld", 2, 0.25}, Case{"hold", 3, 0.0},
                       Case{"hold", 3, 0.25}, Case{"hold", 4, 0.0}, Case{"hold", 4, 0.25}}) {
    const LinearSde sde = preset(c.name, c.order);
    const Mat sigma0 = frame_sigma0(sde, c.v);
    const std::vector<double> times = quadratic_grid(sde.t_max(), 1e-3, 3);
    const DataFrame frame(sde, sigma0);
    const std::vector<Mat> r = frame.factors(times);
    for (size_t i = 0; i + 1 < times.size(); ++i) {
      INFO(c.name << " order " << c.order << " v = " << c.v << " from t = " << times[i] << " to " << times[i + 1]);
      const Mat xi = frame_flow(r[i + 1], r[i]);
      const Mat ref = reference_flow(sde, sigma0, sde.big_b(times[i]), sde.big_b(times[i + 1]), 20000);
      CHECK((xi - ref).max_abs() <= 1e-10 * std::max(1.0, ref.max_abs()));
      // The Cholesky factor alone (W = I) is not the flow: the rotation matters.
      if (sde.num_blocks() > 1) {
        const Mat wrong = frame_flow(frame.factor(times[i + 1]), frame.factor(times[i]));
        CHECK((wrong - ref).max_abs() > 1e-3 * ref.max_abs());
      }
    }
  }
}

TEST_CASE("data frame: small_expm of a rotation generator is the rotation", "[sde][frame]") {
  Mat m(2, 2);
  m(0, 1) = 1.3;
  m(1, 0) = -1.3;
  const Mat e = small_expm(m);
  CHECK(e(0, 0) == Approx(std::cos(1.3)).epsilon(1e-14));
  CHECK(e(0, 1) == Approx(std::sin(1.3)).epsilon(1e-14));
  CHECK(e(1, 0) == Approx(-std::sin(1.3)).epsilon(1e-14));
}
