#include "hold/samplers/ei_coefficients.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "hold/core/error.h"
#include "hold/core/format.h"
#include "hold/sde/data_frame.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/psd_factor.h"

namespace hold {
namespace {

constexpr int kGaussNodes = 16;

/// g_K of g = L⁻¹ Φ e_x (Φ's first column).
double frame_g_last(const Mat& l, const Mat& phi) {
  Mat e_x(phi.rows(), 1);
  for (int r = 0; r < phi.rows(); ++r) e_x(r, 0) = phi(r, 0);
  return solve_lower(l, e_x)(l.rows() - 1, 0);
}

/// Row K of L⁻¹ (L lower triangular): solves Lᵀ y = e_K by back substitution.
std::vector<double> last_row_of_inverse(const Mat& l) {
  const int k = l.rows();
  std::vector<double> y(k);
  for (int i = k - 1; i >= 0; --i) {
    double v = i == k - 1 ? 1.0 : 0.0;
    for (int j = i + 1; j < k; ++j) v -= l(j, i) * y[j];
    y[i] = v / l(i, i);
  }
  return y;
}

/// ℓ_j(b) of the Lagrange basis on `nodes`.
double lagrange(const std::vector<double>& nodes, size_t j, double b) {
  double v = 1.0;
  for (size_t m = 0; m < nodes.size(); ++m) {
    if (m != j) v *= (b - nodes[m]) / (nodes[j] - nodes[m]);
  }
  return v;
}

/// Quadrature points of one interval [b_from, b_to]: panels geometric in b,
/// Gauss–Legendre in log b inside each; weights include dτ = τ ds.
struct Quadrature {
  std::vector<double> b, w;
};

Quadrature interval_quadrature(double b_from, double b_to, int panels, const std::vector<double>& x,
                               const std::vector<double>& wx) {
  Quadrature q;
  // `panels` per unit of log b: the integrand varies on that scale near the data.
  const double s0 = std::log(b_from), span = std::log(b_to) - s0;
  const int count = std::max(1, static_cast<int>(std::ceil(panels * std::abs(span))));
  const double ds = span / count;
  for (int p = 0; p < count; ++p) {
    const double mid = s0 + (p + 0.5) * ds;
    for (size_t n = 0; n < x.size(); ++n) {
      const double b = std::exp(mid + 0.5 * ds * x[n]);
      q.b.push_back(b);
      q.w.push_back(0.5 * ds * wx[n] * b);
    }
  }
  return q;
}

/// The Lagrange nodes of step i: b_i, b_{i−1}, …, b_{i−q}, q = min(order, i).
std::vector<double> basis_of(const std::vector<double>& grid_b, size_t i, int order) {
  std::vector<double> nodes;
  for (size_t j = 0; j <= std::min<size_t>(order, i); ++j) nodes.push_back(grid_b[i - j]);
  return nodes;
}

/// ∫ f(τ) ℓ_j(τ) dτ over one interval for each basis function j, f(τ) a K×1
/// column given at the quadrature points by f(n).
template <class Integrand>
std::vector<Mat> lagrange_weights(const Quadrature& qd, const std::vector<double>& basis_nodes, const Integrand& f) {
  std::vector<Mat> weights;
  for (size_t n = 0; n < qd.b.size(); ++n) {
    const Mat v = f(n);
    if (weights.empty()) weights.assign(basis_nodes.size(), Mat(v.rows(), v.cols()));
    for (size_t j = 0; j < basis_nodes.size(); ++j) weights[j] += v * (qd.w[n] * lagrange(basis_nodes, j, qd.b[n]));
  }
  return weights;
}

void check_request(const LinearSde& sde, const std::vector<double>& grid, int order) {
  if (order < 0 || order > 3)
    throw ConfigError("ei order must be 0…3, got " + std::to_string(order) + " (sample.order)");
  if (grid.size() < 2) throw ConfigError("ei needs at least one step (sample.nfe)");
  if (sde.is_subvp())
    throw ConfigError("ei needs the time-change form du = β(t)(F u dt + G dW), which subvp lacks (sample.method)");
}

/// What every frame's coefficients start from: the request checked, B(t) at
/// every grid time, each interval's quadrature and the frame's factors.
struct FrameSetup {
  int k;
  double d_kk;  ///< D_KK, the last block's diffusion
  std::vector<double> grid_b;
  std::vector<Quadrature> quad;
  DataFrame frame;

  FrameSetup(const LinearSde& sde, const Mat& sigma0, const std::vector<double>& grid, int order, int panels)
      : k(sde.num_blocks()), d_kk(sde.diffusion()(k - 1, k - 1)), frame(sde, sigma0) {
    check_request(sde, grid, order);
    std::vector<double> x, wx;
    gauss_legendre(kGaussNodes, &x, &wx);
    for (double t : grid) grid_b.push_back(sde.big_b(t));
    for (size_t i = 0; i + 1 < grid.size(); ++i)
      quad.push_back(interval_quadrature(grid_b[i], grid_b[i + 1], panels, x, wx));
  }
};

/// One walk of W through every grid time and quadrature point, in order
/// (W = I at t_0): W at grid time i is w[grid_index[i]], at quadrature point
/// n of interval i w[grid_index[i] + 1 + n].
struct FrameWalk {
  std::vector<double> all_b;
  std::vector<size_t> grid_index;
  std::vector<Mat> w;
  double t_end = 0.0;

  FrameWalk(const DataFrame& frame, const std::vector<double>& grid, const std::vector<double>& grid_b,
            const std::vector<Quadrature>& quad)
      : t_end(grid.back()) {
    for (size_t i = 0; i < grid.size(); ++i) {
      grid_index.push_back(all_b.size());
      all_b.push_back(grid_b[i]);
      if (i + 1 < grid.size()) all_b.insert(all_b.end(), quad[i].b.begin(), quad[i].b.end());
    }
    w = frame.rotations_at_b(all_b, 4096 + static_cast<int>(all_b.size()), t_end);
  }
  /// R = L W at walk position i.
  Mat factor_r(const DataFrame& frame, size_t i) const { return frame.factor_at_b(all_b[i], t_end) * w[i]; }
};

/// The stochastic frame's propagators of dY/db = G Y, G = (η² D_KK / 2ℓ²) v vᵀ
/// with v = Wᵀ e_K (math.md §9.5), for one interval i: M(b_{i+1}, τ) = Y_{i+1} Y_τ⁻¹
/// at each of its quadrature points τ and Z_i = M(b_{i+1}, b_i). They are
/// integrated from τ = b_{i+1} (M = I) backwards, dM/dτ = −M G(τ): a
/// contraction, so no inverse of Y is ever formed (Y itself decays like a
/// high power of b near the data for HOLD, far below double precision).
struct Contraction {
  Mat z;                     ///< Z_i = M(b_{i+1}, b_i)
  std::vector<Mat> at_quad;  ///< M(b_{i+1}, τ_n), quadrature point n
};

/// Every interval's Contraction: classical RK4 in log b on `substeps` pieces
/// between walk positions (G varies on the scale of log b, where b G stays
/// O(1): the steps are not stiff).
std::vector<Contraction> contractions(const FrameSetup& s, const FrameWalk& walk, double eta, int substeps = 8) {
  const int k = s.k;
  // t_0, then every piece's midpoint and end, in walk order: walk position n
  // is points[2 n substeps], piece p of the pair (n, n+1) ends at
  // points[2 (n substeps + p) + 2].
  std::vector<double> points{walk.all_b.front()};
  for (size_t n = 0; n + 1 < walk.all_b.size(); ++n) {
    const double from = std::log(walk.all_b[n]), step = (std::log(walk.all_b[n + 1]) - from) / substeps;
    for (int p = 0; p < substeps; ++p) {
      points.push_back(std::exp(from + (p + 0.5) * step));
      points.push_back(p + 1 == substeps ? walk.all_b[n + 1] : std::exp(from + (p + 1) * step));
    }
  }
  const std::vector<Mat> w = s.frame.rotations_at_b(points, 4096 + static_cast<int>(points.size()), walk.t_end);
  // −M (b G) at point m: the derivative in log b.
  auto rate = [&](size_t m, const Mat& mat) {
    const double ell = s.frame.factor_at_b(points[m], walk.t_end)(k - 1, k - 1);
    const double c = eta * eta * s.d_kk / (2.0 * ell * ell) * points[m];  // dτ = τ d log τ
    Mat v(k, 1);
    for (int r = 0; r < k; ++r) v(r, 0) = w[m](k - 1, r);
    return Mat(((-c) * (mat * v)) * v.transpose());
  };
  std::vector<Contraction> out;
  for (size_t i = 0; i + 1 < walk.grid_index.size(); ++i) {
    Contraction c;
    Mat m = Mat::identity(k);
    std::vector<Mat> reversed;  // M at the quadrature points, last point first
    for (size_t n = walk.grid_index[i + 1]; n-- > walk.grid_index[i];) {
      for (int p = substeps; p-- > 0;) {
        const size_t end = 2 * (n * substeps + p) + 2, mid = end - 1, to = end - 2;
        const double h = std::log(points[to] / points[end]);
        const Mat k1 = rate(end, m);
        const Mat k2 = rate(mid, m + (0.5 * h) * k1);
        const Mat k3 = rate(mid, m + (0.5 * h) * k2);
        const Mat k4 = rate(to, m + h * k3);
        m += (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
      }
      if (n > walk.grid_index[i]) reversed.push_back(m);  // walk position n is a quadrature point
    }
    c.z = m;
    c.at_quad.assign(reversed.rbegin(), reversed.rend());
    out.push_back(std::move(c));
  }
  return out;
}

/// Φ(b_to − b_from) = exp(F (b_to − b_from)): the flow of F alone (frames l, r).
Mat drift_flow(const LinearSde& sde, double b_to, double b_from) { return small_expm(sde.drift() * (b_to - b_from)); }

/// The skeleton every frame shares: node(i) at each grid time, and per step
/// the flow(i) and the Lagrange weights of integrand(i, n) (its value at
/// quadrature point n of interval i).
template <class Node, class Flow, class Integrand>
EiCoefficients assemble(const FrameSetup& s, int order, const Node& node, const Flow& flow,
                        const Integrand& integrand) {
  EiCoefficients out;
  for (size_t i = 0; i < s.grid_b.size(); ++i) out.nodes.push_back(node(i));
  for (size_t i = 0; i + 1 < s.grid_b.size(); ++i) {
    auto at_point = [&](size_t n) { return integrand(i, n); };
    out.steps.push_back({flow(i), lagrange_weights(s.quad[i], basis_of(s.grid_b, i, order), at_point), Mat()});
  }
  return out;
}

}  // namespace

void gauss_legendre(int n, std::vector<double>* nodes, std::vector<double>* weights) {
  nodes->assign(n, 0.0);
  weights->assign(n, 0.0);
  for (int i = 0; i < n; ++i) {
    double x = std::cos(std::numbers::pi * (i + 0.75) / (n + 0.5));  // Tricomi's start
    double dp = 0.0;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1.0, p1 = x;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = n * (x * p1 - p0) / (x * x - 1.0);
      const double dx = p1 / dp;
      x -= dx;
      if (std::abs(dx) < 1e-16) break;
    }
    (*nodes)[n - 1 - i] = x;  // ascending
    (*weights)[n - 1 - i] = 2.0 / ((1.0 - x * x) * dp * dp);
  }
}

EiCoefficients data_frame_coefficients(const LinearSde& sde, const Mat& sigma0, const std::vector<double>& grid,
                                       int order, int panels) {
  return stochastic_frame_coefficients(sde, sigma0, grid, order, 0.0, panels);
}

EiCoefficients stochastic_frame_coefficients(const LinearSde& sde, const Mat& sigma0, const std::vector<double>& grid,
                                             int order, double eta, int panels) {
  if (!(eta >= 0.0 && eta <= 1.0)) throw ConfigError("ei: eta must be in [0, 1], got " + fmt(eta) + " (sample.eta)");
  const FrameSetup s(sde, sigma0, grid, order, panels);
  const FrameWalk walk(s.frame, grid, s.grid_b, s.quad);
  const int k = s.k;
  // η = 0: M ≡ I (the deterministic flow R' R⁻¹).
  const std::vector<Contraction> y = eta > 0.0 ? contractions(s, walk, eta) : std::vector<Contraction>();
  std::vector<Mat> r;  // R at each grid time
  for (size_t i = 0; i < grid.size(); ++i) r.push_back(walk.factor_r(s.frame, walk.grid_index[i]));
  auto node = [&](size_t i) {
    const Mat l = s.frame.factor_at_b(s.grid_b[i], grid[i]);
    const double g_k = frame_g_last(l, sde.kernel_at_b(s.grid_b[i]).phi);
    const std::vector<double> row = last_row_of_inverse(l);
    EiNode out{Mat(1, k), l(k - 1, k - 1) / g_k, Mat()};
    for (int c = 0; c < k; ++c) out.xhat_u(0, c) = row[c] / g_k;
    return out;
  };
  // Ξ̂_i = R_{i+1} Z_i R_i⁻¹ (η = 0: R_{i+1} R_i⁻¹).
  auto flow = [&](size_t i) { return frame_flow(eta > 0.0 ? Mat(r[i + 1] * y[i].z) : r[i + 1], r[i]); };
  // Ξ̂(b_{i+1}, τ) e_K · D_KK g_K/ℓ = R_{i+1} M(b_{i+1}, τ) W_τᵀ e_K · D_KK g_K/ℓ² (L⁻¹ e_K = e_K/ℓ):
  // no inverse of the ill-conditioned R_τ near the data.
  auto integrand = [&](size_t i, size_t n) {
    const double b = s.quad[i].b[n];
    const Mat l = s.frame.factor_at_b(b, grid[i]);
    const double g_k = frame_g_last(l, sde.kernel_at_b(b).phi);
    const double ell = l(k - 1, k - 1);
    const Mat& w_tau = walk.w[walk.grid_index[i] + 1 + n];
    Mat col(k, 1);
    for (int r = 0; r < k; ++r) col(r, 0) = -0.5 * (1.0 + eta * eta) * w_tau(k - 1, r) * s.d_kk * g_k / (ell * ell);
    if (eta == 0.0) return Mat(r[i + 1] * col);
    return Mat(r[i + 1] * (y[i].at_quad[n] * col));
  };
  EiCoefficients out = assemble(s, order, node, flow, integrand);
  for (size_t i = 0; eta > 0.0 && i + 1 < grid.size(); ++i) {
    out.steps[i].noise = r[i + 1] * psd_factor(Mat::identity(k) - y[i].z * y[i].z.transpose());
  }
  return out;
}

EiCoefficients cholesky_frame_coefficients(const LinearSde& sde, const Mat& sigma0, const std::vector<double>& grid,
                                           int order, int panels) {
  const FrameSetup s(sde, sigma0, grid, order, panels);
  const int k = s.k;
  auto node = [&](size_t i) {
    return EiNode{Mat(1, k), -s.frame.factor_at_b(s.grid_b[i], grid[i])(k - 1, k - 1), Mat()};
  };
  auto flow = [&](size_t i) { return drift_flow(sde, s.grid_b[i + 1], s.grid_b[i]); };
  // ½ Φ(b_{i+1} − τ) D e_K / ℓ_τ: the ODE du/db = F u + ½ D e_K ε/ℓ.
  auto integrand = [&](size_t i, size_t n) {
    const double b = s.quad[i].b[n];
    const Mat phi = drift_flow(sde, s.grid_b[i + 1], b);
    const double scale = 0.5 * s.d_kk / s.frame.factor_at_b(b, grid[i])(k - 1, k - 1);
    Mat col(k, 1);
    for (int r = 0; r < k; ++r) col(r, 0) = phi(r, k - 1) * scale;
    return col;
  };
  return assemble(s, order, node, flow, integrand);
}

EiCoefficients r_frame_coefficients(const LinearSde& sde, const Mat& sigma0, const std::vector<double>& grid, int order,
                                    int panels) {
  const FrameSetup s(sde, sigma0, grid, order, panels);
  const FrameWalk walk(s.frame, grid, s.grid_b, s.quad);
  const int k = s.k;
  auto node = [&](size_t i) {
    return EiNode{Mat(), 0.0, walk.factor_r(s.frame, walk.grid_index[i]).transpose() * -1.0};
  };
  auto flow = [&](size_t i) { return drift_flow(sde, s.grid_b[i + 1], s.grid_b[i]); };
  // ½ Φ(b_{i+1} − τ) e_K · D_KK W_τ(K, :)/ℓ_τ: an outer product, no R_τ⁻¹.
  auto integrand = [&](size_t i, size_t n) {
    const double b = s.quad[i].b[n];
    const Mat phi = drift_flow(sde, s.grid_b[i + 1], b);
    const Mat& w_tau = walk.w[walk.grid_index[i] + 1 + n];
    const double scale = 0.5 * s.d_kk / s.frame.factor_at_b(b, grid[i])(k - 1, k - 1);
    Mat m(k, k);
    for (int r = 0; r < k; ++r) {
      for (int c = 0; c < k; ++c) m(r, c) = phi(r, k - 1) * scale * w_tau(k - 1, c);
    }
    return m;
  };
  return assemble(s, order, node, flow, integrand);
}

}  // namespace hold
