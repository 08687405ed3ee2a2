// math.md §8 items 1 and 2: the generic kernel engine against closed forms,
// fine numerical integration, and high-precision factorisation.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "hold/sde/linear_kernel.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/presets.h"

using namespace hold;

namespace {

SdeConfig preset(const std::string& name, int order = 3) {
  SdeConfig c;
  c.name = name;
  c.order = order;
  return c;
}

double max_abs_diff(const Mat& a, const Mat& b) { return (a - b).max_abs(); }

// Long-double matrices for the reference integrations.
using LMat = std::vector<std::vector<long double>>;
LMat lzeros(int n) { return LMat(n, std::vector<long double>(n, 0.0L)); }
LMat lmul(const LMat& a, const LMat& b) {
  const int n = a.size();
  LMat c = lzeros(n);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k)
      for (int j = 0; j < n; ++j) c[i][j] += a[i][k] * b[k][j];
  return c;
}
LMat ltrans(const LMat& a) {
  LMat t = lzeros(a.size());
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < a.size(); ++j) t[j][i] = a[i][j];
  return t;
}
LMat laxpy(const LMat& a, long double s, const LMat& b) {  // a + s b
  LMat c = a;
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < a.size(); ++j) c[i][j] += s * b[i][j];
  return c;
}
LMat to_l(const Mat& m) {
  LMat l = lzeros(m.rows());
  for (int i = 0; i < m.rows(); ++i)
    for (int j = 0; j < m.cols(); ++j) l[i][j] = m(i, j);
  return l;
}

// RK4 on dΦ/db = FΦ, dQ/db = FQ + QFᵀ + D in long double, recording (Φ, Q) at the checkpoints.
std::vector<std::pair<LMat, LMat>> integrate_kernel(const Mat& f_in, const Mat& d_in,
                                                    const std::vector<double>& checkpoints, double h) {
  const LMat f = to_l(f_in), ft = ltrans(f), d = to_l(d_in);
  const int n = f_in.rows();
  LMat phi = lzeros(n), q = lzeros(n);
  for (int i = 0; i < n; ++i) phi[i][i] = 1.0L;
  auto dq = [&](const LMat& x) { return laxpy(laxpy(lmul(f, x), 1.0L, lmul(x, ft)), 1.0L, d); };
  std::vector<std::pair<LMat, LMat>> out;
  long double b = 0.0L;
  for (double target : checkpoints) {
    while (b < target) {
      const long double step = std::min<long double>(h, target - b);
      const LMat k1 = lmul(f, phi), k2 = lmul(f, laxpy(phi, step / 2, k1)), k3 = lmul(f, laxpy(phi, step / 2, k2)),
                 k4 = lmul(f, laxpy(phi, step, k3));
      const LMat m1 = dq(q), m2 = dq(laxpy(q, step / 2, m1)), m3 = dq(laxpy(q, step / 2, m2)),
                 m4 = dq(laxpy(q, step, m3));
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
          phi[i][j] += step / 6 * (k1[i][j] + 2 * k2[i][j] + 2 * k3[i][j] + k4[i][j]);
          q[i][j] += step / 6 * (m1[i][j] + 2 * m2[i][j] + 2 * m3[i][j] + m4[i][j]);
        }
      b += step;
    }
    out.emplace_back(phi, q);
  }
  return out;
}

double max_abs_diff(const Mat& a, const LMat& b) {
  double m = 0.0;
  for (int i = 0; i < a.rows(); ++i)
    for (int j = 0; j < a.cols(); ++j) m = std::max(m, static_cast<double>(std::fabs(a(i, j) - b[i][j])));
  return m;
}

}  // namespace

TEST_CASE("Phi and Q match the CLD closed form", "[sde]") {
  // CLD-SGM sde_lib.py CLD.mean / CLD.var (numerical_eps removed), with
  // f = Γ = 2/sqrt(M⁻¹), g = 1/f, hsm's var0v = ε M, var0x = 0.
  SdeConfig c = preset("cld");
  const LinearSde sde = make_sde(c);
  const double f = 2.0 / std::sqrt(c.m_inv), g = 1.0 / f, var0v = c.eps / c.m_inv, var0x = 0.0;
  for (double t : {1e-5, 1e-3, 0.01, 0.1, 0.37, 0.5, 1.0}) {
    const double bi = c.beta > 0 ? c.beta * t : 4.0 * t;
    const Kernel k = sde.kernel(t);
    const double coeff = std::exp(-2.0 * bi * g);
    // mean_x = coeff (2 B g x + 4 B g² v + x), mean_v = coeff (−B x − 2 B g v + v)
    const Mat phi_ref =
        Mat::from_rows({{coeff * (2 * bi * g + 1), coeff * 4 * bi * g * g}, {-coeff * bi, coeff * (1 - 2 * bi * g)}});
    CHECK(max_abs_diff(k.phi, phi_ref) < 1e-10);
    const double mult = std::exp(-4.0 * bi * g);
    const double var_xx = var0x + 1 / mult - 1 + 4 * bi * g * (var0x - 1) + 4 * bi * bi * g * g * (var0x - 2) +
                          16 * std::pow(g, 4) * bi * bi * var0v;
    const double var_xv =
        -var0x * bi + 4 * g * g * bi * var0v - 2 * g * bi * bi * (var0x - 2) - 8 * std::pow(g, 3) * bi * bi * var0v;
    const double var_vv = f * f * (1 / mult - 1) / 4 + f * bi - 4 * g * bi * var0v + 4 * g * g * bi * bi * var0v +
                          var0v + bi * bi * (var0x - 2);
    const Mat cov_ref = Mat::from_rows({{var_xx * mult, var_xv * mult}, {var_xv * mult, var_vv * mult}});
    const Mat cov = sde.marginal_cov(t, sde.default_initial_cov());
    INFO("t = " << t << " cov = " << cov.to_string(17) << " ref = " << cov_ref.to_string(17));
    CHECK(max_abs_diff(cov, cov_ref) < 1e-10);
  }
}

TEST_CASE("VP and sub-VP kernels match their closed forms", "[sde]") {
  const LinearSde vp = make_sde(preset("vp"));
  const LinearSde subvp = make_sde(preset("subvp"));
  for (double t : {1e-5, 1e-3, 0.1, 0.5, 1.0}) {
    const double b = 0.1 * t + 0.5 * t * t * 19.9;
    const Kernel k = vp.kernel(t);
    CHECK(std::abs(k.phi(0, 0) - std::exp(-0.5 * b)) < 1e-12);
    CHECK(std::abs(k.q(0, 0) - (1 - std::exp(-b))) < 1e-12);
    CHECK(std::abs(k.q(0, 0) / -std::expm1(-b) - 1) < 1e-12);  // relative accuracy at small b
    const Kernel s = subvp.kernel(t);
    CHECK(std::abs(s.q(0, 0) - std::pow(1 - std::exp(-b), 2)) < 1e-12);
    CHECK(std::abs(subvp.g2(t) - (0.1 + t * 19.9) * (1 - std::exp(-2 * b))) < 1e-12);
  }
}

TEST_CASE("HOLD kernels of order 3 to 5 equal a fine numerical integration", "[sde]") {
  const int order = GENERATE(3, 4, 5);
  const LinearSde sde = make_sde(preset("hold", order));
  const double b_max = 4.0 * sde.big_b(sde.t_max());
  const std::vector<double> checkpoints{1e-3, 0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, b_max};
  const auto ref = integrate_kernel(sde.drift(), sde.diffusion(), checkpoints, 2.5e-4);
  for (size_t i = 0; i < checkpoints.size(); ++i) {
    const Kernel k = sde.kernel_at_b(checkpoints[i]);
    INFO("order " << order << " b = " << checkpoints[i]);
    CHECK(max_abs_diff(k.phi, ref[i].first) < 1e-10);
    CHECK(max_abs_diff(k.q, ref[i].second) < 1e-10);
  }
}

TEST_CASE("Q is positive definite at every b from 1e-7 up", "[sde]") {
  const std::string name = GENERATE(as<std::string>{}, "cld", "hold", "hold-critical");
  for (int order : {3, 4, 5}) {
    if (name != "hold" && order != 3) continue;
    const LinearSde sde = make_sde(preset(name, order));
    for (double b = 1e-7; b <= 4 * sde.big_b(1.0); b *= 1.5) {
      Mat l;
      INFO(name << " order " << order << " b = " << b);
      CHECK(try_cholesky(sde.kernel_at_b(b).q, &l));
    }
  }
}

TEST_CASE("The anchor table and plain scaling and squaring agree", "[sde]") {
  const LinearSde sde = make_sde(preset("hold", 4));
  const LinearKernel engine(sde.drift(), sde.diffusion(), 8.0);
  for (double b = 1e-6; b < 10.0; b = b * 1.37 + 1e-4) {
    const Kernel a = engine.at(b), s = engine.by_scaling_and_squaring(b);
    INFO("b = " << b);
    CHECK(max_abs_diff(a.phi, s.phi) < 1e-13);
    INFO("q diff " << max_abs_diff(a.q, s.q) << " phi diff " << max_abs_diff(a.phi, s.phi));
    CHECK(max_abs_diff(a.q, s.q) < 1e-12);  // both are ~1e-13 accurate (math.md §1)
    // Relative accuracy of the tiny x-entry near b = 0.
    CHECK(std::abs(a.q(0, 0) / s.q(0, 0) - 1) < 1e-10);
  }
}

TEST_CASE("Van Loan's block exponential agrees for small b·rho", "[sde]") {
  const LinearSde sde = make_sde(preset("hold"));
  const int k = 3;
  for (double b : {0.05, 0.2, 0.5}) {
    // exp(b [[−F, D], [0, Fᵀ]]) = [[·, Φ⁻¹Q], [0, Φᵀ]].
    auto m = at::zeros({2 * k, 2 * k}, at::kDouble);
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j) {
        m[i][j] = -sde.drift()(i, j) * b;
        m[i][k + j] = sde.diffusion()(i, j) * b;
        m[k + i][k + j] = sde.drift()(j, i) * b;
      }
    auto e = at::linalg_matrix_exp(m);
    auto phi_t = e.slice(0, k).slice(1, k);  // Φᵀ
    auto q = at::matmul(phi_t.t(), e.slice(0, 0, k).slice(1, k));
    const Kernel kern = sde.kernel_at_b(b);
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j) {
        CHECK(std::abs(kern.phi(i, j) - phi_t[j][i].item<double>()) < 1e-12);
        CHECK(std::abs(kern.q(i, j) - q[i][j].item<double>()) < 1e-12);
      }
  }
}

TEST_CASE("Sigma_inf solves the Lyapunov equation and is the limit of the kernel", "[sde]") {
  const std::string name = GENERATE(as<std::string>{}, "vp", "subvp", "cld", "hold", "hold-critical");
  const LinearSde sde = make_sde(preset(name));
  const Mat& s = sde.prior_cov();
  const Mat residual = sde.drift() * s + s * sde.drift().transpose() + sde.diffusion();
  CHECK(residual.max_abs() < 1e-12);
  const Kernel far = sde.kernel_at_b(80.0);
  CHECK(far.phi.max_abs() < 1e-12);
  CHECK(max_abs_diff(far.q, s) < 1e-12);
}

TEST_CASE("Presets have the documented stationary covariances", "[sde]") {
  CHECK(max_abs_diff(make_sde(preset("cld")).prior_cov(), Mat::diag({1.0, 0.25})) < 1e-12);
  for (int order : {3, 4, 5}) {
    std::vector<double> ones(order, 1.0);
    CHECK(max_abs_diff(make_sde(preset("hold", order)).prior_cov(), Mat::diag(ones)) < 1e-12);
  }
  const LinearSde ve = make_sde(preset("ve"));
  CHECK(!ve.has_stationary_law());
  CHECK(ve.prior_cov()(0, 0) == Approx(2500.0));
  CHECK(ve.kernel(1.0).q(0, 0) == Approx(2500.0 - 1e-4).epsilon(1e-12));
}

TEST_CASE("HOLD couplings from the spectrum reproduce math.md", "[sde]") {
  const HoldCouplings k3 = hold_couplings_from_roots({-1, -2, -3}, 1.0);
  CHECK(k3.xi == Approx(6.0).epsilon(1e-12));
  CHECK(k3.gammas[0] == Approx(std::sqrt(10.0)).epsilon(1e-12));
  const HoldCouplings k4 = hold_couplings_from_roots({-1, -2, -3, -4}, 1.0);
  CHECK(k4.gammas[0] == Approx(2.2913).margin(1e-4));
  CHECK(k4.gammas[1] == Approx(6.1237).margin(1e-4));
  CHECK(k4.xi == Approx(11.180).margin(1e-3));
  const HoldCouplings k5 = hold_couplings_from_roots({-1, -2, -3, -4, -5}, 1.0);
  CHECK(k5.gammas[0] == Approx(2.0785).margin(1e-4));
  CHECK(k5.gammas[1] == Approx(3.9598).margin(1e-4));
  CHECK(k5.gammas[2] == Approx(9.8995).margin(1e-4));
  CHECK(k5.xi == Approx(17.748).margin(1e-3));
  // The eigenvalues of F are the roots scaled by c = sqrt(L / c̃₁).
  const auto ev = eigenvalues(hold_drift(k4));
  const double c = std::sqrt(1.25);
  for (int i = 0; i < 4; ++i) {
    CHECK(ev[i].first == Approx(-c * (i + 1)).epsilon(1e-10));
    CHECK(std::abs(ev[i].second) < 1e-10);
  }
  // hold-critical: L = 1, γ = 2√2, ξ = 3√3 (triple eigenvalue −√3).
  const LinearSde crit = make_sde(preset("hold-critical"));
  CHECK(crit.drift()(1, 2) == Approx(2 * std::sqrt(2.0)).epsilon(1e-12));
  CHECK(crit.drift()(2, 2) == Approx(-3 * std::sqrt(3.0)).epsilon(1e-12));
  // Default third-order HOLD: eigenvalues −1, −2, −3.
  const auto ev3 = eigenvalues(make_sde(preset("hold")).drift());
  CHECK(ev3[0].first == Approx(-1.0).epsilon(1e-10));
  CHECK(ev3[1].first == Approx(-2.0).epsilon(1e-10));
  CHECK(ev3[2].first == Approx(-3.0).epsilon(1e-10));
}

TEST_CASE("Default presets match the prior at T", "[sde]") {
  for (const char* name : {"hold", "hold-critical"}) {
    const PriorMismatch m = make_sde(preset(name)).prior_mismatch();
    INFO(name << " phi " << m.phi_max << " cov " << m.cov_err);
    CHECK(m.phi_max < 1e-3);
    CHECK(m.cov_err < 1e-5);
  }
  for (const char* name : {"vp", "cld"}) CHECK(make_sde(preset(name)).prior_mismatch().ok());
  SdeConfig weak = preset("hold");
  weak.beta = 1.0;
  CHECK(!make_sde(weak).prior_mismatch().ok());
  CHECK(!make_sde(preset("ve")).prior_mismatch().applicable);
}

namespace {
// __float128 reference: Σ_t by RK4 on dΣ/db = FΣ + ΣFᵀ + D from Σ₀, then Cholesky.
using Q128 = __float128;
Q128 sqrt128(Q128 a) {
  Q128 x = std::sqrt(static_cast<double>(a));
  for (int i = 0; i < 4; ++i) x = 0.5 * (x + a / x);
  return x;
}
double ell_reference(const LinearSde& sde, double t, const Mat& sigma0) {
  const int n = sde.num_blocks();
  std::vector<Q128> f(n * n), d(n * n), s(n * n);
  for (int i = 0; i < n * n; ++i) {
    f[i] = sde.drift()(i / n, i % n);
    d[i] = sde.diffusion()(i / n, i % n);
    s[i] = sigma0(i / n, i % n);
  }
  auto rhs = [&](const std::vector<Q128>& x) {
    std::vector<Q128> r(d);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        for (int k = 0; k < n; ++k) r[i * n + j] += f[i * n + k] * x[k * n + j] + x[i * n + k] * f[j * n + k];
    return r;
  };
  const double b = sde.big_b(t);
  const int steps = 4000;
  const Q128 h = static_cast<Q128>(b) / steps;
  for (int st = 0; st < steps; ++st) {
    auto add = [&](const std::vector<Q128>& x, Q128 c, const std::vector<Q128>& y) {
      std::vector<Q128> z(x);
      for (int i = 0; i < n * n; ++i) z[i] += c * y[i];
      return z;
    };
    const auto k1 = rhs(s), k2 = rhs(add(s, h / 2, k1)), k3 = rhs(add(s, h / 2, k2)), k4 = rhs(add(s, h, k3));
    for (int i = 0; i < n * n; ++i) s[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
  std::vector<Q128> l(n * n, 0);
  for (int j = 0; j < n; ++j) {
    Q128 dd = s[j * n + j];
    for (int k = 0; k < j; ++k) dd -= l[j * n + k] * l[j * n + k];
    l[j * n + j] = sqrt128(dd);
    for (int i = j + 1; i < n; ++i) {
      Q128 v = s[i * n + j];
      for (int k = 0; k < j; ++k) v -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = v / l[j * n + j];
    }
  }
  return static_cast<double>(l[n * n - 1]);
}
}  // namespace

TEST_CASE("ell_t in square-root form matches a quad-precision reference down to t = 1e-5", "[sde]") {
  const int order = GENERATE(2, 3, 4, 5);
  const LinearSde sde = make_sde(order == 2 ? preset("cld") : preset("hold", order));
  for (double t : {1e-5, 1e-4, 1e-3, 1e-2}) {
    const double ell = sde.ell(t, sde.default_initial_cov());
    const double ref = ell_reference(sde, t, sde.default_initial_cov());
    INFO("order " << order << " t = " << t << " ell = " << ell << " ref = " << ref);
    // Measured: ≤ 1.2e-14 for K ≤ 4 at every t here; K = 5 reaches 2e-12 at t = 1e-4 and
    // 1.3e-7 at t = 1e-5, where the x row of A is nearly a combination of the others.
    const double tol = (order == 5 && t < 1e-4) ? 1e-6 : 1e-11;
    CHECK(std::abs(ell / ref - 1) < tol);
    // dsm (Σ₀ = 0): ℓ_t = sqrt of the Schur complement of Q, whose scaled form is
    // Hilbert-like near b = 0 (measured ≤ 1e-11 relative for K ≤ 5).
    const Mat zero = Mat::zeros(sde.num_blocks());
    CHECK(std::abs(sde.ell(t, zero) / ell_reference(sde, t, zero) - 1) < 1e-10);
  }
}

TEST_CASE("The prior's sampler and log-density agree with N(0, Sigma_inf)", "[sde]") {
  const LinearSde sde = make_sde(preset("cld"));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  const int64_t n = 200000;
  auto u = sde.prior_sample({n, 2}, gen, at::kDouble);
  auto cov = at::matmul(u.t(), u) / n;
  // Var(x) = 1, Var(v) = M = 0.25; SE of a variance ≈ σ² sqrt(2/n) ≈ 0.003σ².
  CHECK(cov[0][0].item<double>() == Approx(1.0).margin(0.015));
  CHECK(cov[1][1].item<double>() == Approx(0.25).margin(0.004));
  CHECK(std::abs(cov[0][1].item<double>()) < 0.008);
  auto pt = at::tensor({0.3, -0.2}, at::kDouble).view({1, 2});
  const double lp = sde.prior_log_prob(pt).item<double>();
  const double ref = -0.5 * (0.09 + 0.04 / 0.25) - std::log(2 * M_PI) - 0.5 * std::log(0.25);
  CHECK(lp == Approx(ref).epsilon(1e-12));
}
