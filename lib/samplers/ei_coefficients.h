#pragma once
// The exponential integrator's coefficients in the data-prediction frame
// (math.md §9; the frame itself: sde/data_frame.h). K×K float64, computed once
// per grid, never per element.
//
// Step i goes from t_i to t_{i+1} (b_i → b_{i+1}). x̂ at a node is read off the
// last-block score, x̂ = a·u + α s_K with the row a = row_K(L⁻¹)/g_K and
// α = ℓ/g_K, and is extrapolated by the Lagrange polynomial in b through the
// last q + 1 nodes b_i, b_{i−1}, …, b_{i−q}, q = min(order, i):
//   u_{i+1} = Ξ_i u_i + Σ_j c_ij x̂_{i−j},   Ξ_i = R_{i+1} R_i⁻¹,
//   c_ij = −½ ∫_{b_i}^{b_{i+1}} Ξ(b_{i+1}, τ) D Σ_c⁻¹(τ) Φ(τ) e_x ℓ_j(τ) dτ.
// Since D Σ_c⁻¹ Φ e_x = D_KK (g_K/ℓ) e_K and Ξ(b', τ) e_K = R' W_τᵀ e_K / ℓ_τ,
// the integrand is smooth in log b; Gauss–Legendre panels in log b integrate it
// to ~1e-13. Order 0 has the closed form c_i0 = Φ_{i+1} e_x − Ξ_i Φ_i e_x (Φ e_x x₀
// solves the ODE when x̂ ≡ x₀), which the tests compare with the quadrature.
#include <vector>

#include "hold/sde/mat.h"

namespace hold {

class LinearSde;

struct EiNode {
  Mat xhat_u;           ///< a (1×K): x̂ = a·u + α s_K
  double xhat_s = 0.0;  ///< α
  Mat full_s;           ///< frame r only: ε_R = full_s · s (K×K, −R_iᵀ, applied to the full score)
};

struct EiStep {
  Mat flow;                  ///< Ξ_i (K×K)
  std::vector<Mat> weights;  ///< c_ij (K×1; frame r: K×K), j = 0…q: x̂ at t_i, t_{i−1}, …
  Mat noise;  ///< stochastic (η > 0): N with N Nᵀ = P_i, applied to N(0, I) of every block; else empty
};

struct EiCoefficients {
  std::vector<EiNode> nodes;  ///< one per grid time t_0 … t_N
  std::vector<EiStep> steps;  ///< one per interval
};

/// Coefficients of `order` (0…3) on the decreasing forward times `grid`, for
/// the frame covariance sigma0 (the sampler's Σ₀, or its x variance set to v).
/// `panels`: Gauss–Legendre panels of 16 nodes per unit of log b (at least one per interval).
EiCoefficients data_frame_coefficients(const LinearSde& sde, const Mat& sigma0, const std::vector<double>& grid,
                                       int order, int panels = 4);

/// The stochastic data-prediction frame (`ei --eta η`, gDDIM Prop. 6 in this
/// frame, math.md §9.5): the reverse SDE du = [F u − (1+η²)/2 D s] db + η G dW̄
/// with s written through x̂ has the linear part Â = F + (1+η²)/2 D Σ_c⁻¹,
/// whose flow is Ξ̂(b', b) = R' Y' Y⁻¹ R⁻¹ with dY/db = (η² D_KK / 2ℓ²) v vᵀ Y,
/// v = Wᵀ e_K (Y = I at t_0: a contraction in reverse time). Per step
///   u_{i+1} = Ξ̂_i u_i + Σ_j c_ij x̂_{i−j} + N_i ξ,   ξ ~ N(0, I) of every block,
///   c_ij = −(1+η²)/2 ∫ Ξ̂(b_{i+1}, τ) D Σ_c⁻¹ Φ e_x ℓ_j(τ) dτ,
///   N_i N_iᵀ = P_i = R_{i+1} (I − Z Zᵀ) R_{i+1}ᵀ,   Z = Y_{i+1} Y_i⁻¹,
/// which is the noise covariance the SDE accumulates over the step (it makes
/// every conditional marginal N(Φ e_x x₀, Σ_c) exact: Ξ̂ Σ_i Ξ̂ᵀ + P = Σ_{i+1}).
/// η = 0 is data_frame_coefficients; η = 1 is the reverse SDE itself (DDPM's
/// posterior at order 0).
EiCoefficients stochastic_frame_coefficients(const LinearSde& sde, const Mat& sigma0, const std::vector<double>& grid,
                                             int order, double eta, int panels = 4);

/// The Cholesky frame (`ei --frame l`): the last block's ε = −ℓ s_K (the
/// BCSM network's own output) is extrapolated instead of x̂, and the linear
/// part is F alone, whose flow Φ(b_{i+1} − b_i) = exp(F Δb) grows like
/// |exp(−F Δb)| backwards in time (math.md §9: kept for comparison; it
/// diverges for HOLD at few steps). Nodes give ε = 0·u + (−ℓ) s_K; weights
///   C_ij = ½ ∫_{b_i}^{b_{i+1}} Φ(b_{i+1} − τ) D e_K ℓ_τ⁻¹ ℓ_j(τ) dτ.
EiCoefficients cholesky_frame_coefficients(const LinearSde& sde, const Mat& sigma0, const std::vector<double>& grid,
                                           int order, int panels = 4);

/// gDDIM's R frame (`ei --frame r`): ε_R = −R_τᵀ s of every block (s the
/// full-state score; R = L W, the data frame's R) is extrapolated over the
/// flow of F:
///   u_{i+1} = Φ(Δb) u_i + Σ_j C_ij ε_{R,i−j},
///   C_ij = ½ ∫_{b_i}^{b_{i+1}} Φ(b_{i+1} − τ) D R_τ⁻ᵀ ℓ_j(τ) dτ,
/// with D R⁻ᵀ = D_KK e_K W_{K,:}/ℓ (the last row of L⁻ᵀ is e_Kᵀ/ℓ). Order 0 is
/// exact for Gaussian data when sigma0's x variance is the data's (gDDIM
/// Prop. 4); Φ(−Δb) is large for HOLD, so the weights cancel (math.md §9).
EiCoefficients r_frame_coefficients(const LinearSde& sde, const Mat& sigma0, const std::vector<double>& grid, int order,
                                    int panels = 4);

/// Gauss–Legendre nodes and weights on [−1, 1] (Newton on P_n).
void gauss_legendre(int n, std::vector<double>* nodes, std::vector<double>* weights);

}  // namespace hold
