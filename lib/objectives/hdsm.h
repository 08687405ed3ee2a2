#pragma once
// High-order denoising score matching (math.md §11; Lu et al., ICML 2022):
// besides ε_θ ≈ E[z_K | u], match the network's last-block Jacobian
// J = ∂ε_θ/∂u_K to the posterior covariance (second order) and ∇_{u_K} tr J to
// its third cumulant (third order), for any K. The derivatives need the
// network itself, so these functions take it as a function of the state.
//
// Two steps, each testable alone: eps_derivatives() differentiates the network
// (double backward: autograd with create_graph, derivatives in u_K only), and
// hdsm_terms() turns the derivatives into the per-sample terms of math.md §11.2
// (exact) or §11.3 (Hutchinson).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>

#include "hold/core/registry.h"

namespace hold {

/// objective.hdsm_estimator: auto | exact | hutchinson.
enum class HdsmEstimator { kAuto, kExact, kHutchinson };
/// objective.hdsm_form: frobenius | trace | both (the second-order term).
enum class HdsmForm { kFrobenius, kTrace, kBoth };
const Registry<Choice<HdsmEstimator>>& hdsm_estimator_registry();
const Registry<Choice<HdsmForm>>& hdsm_form_registry();
/// `auto` takes the exact Jacobian up to this data dimension (d VJPs per step).
constexpr int64_t kHdsmExactMaxDim = 8;

/// The network as a function of the whole state u [N, K·C, ...] (differentiable
/// in u and in the parameters), returning ε [N, C, ...] for the last block.
using EpsFunction = std::function<at::Tensor(const at::Tensor& u)>;

/// The network's value and last-block derivatives at u, flattened per sample
/// (d = C·H·W). Every tensor is differentiable in the parameters except where
/// said; the graph is kept for the loss's backward.
struct EpsDerivatives {
  at::Tensor eps;         ///< [N, d] ε_θ(u)
  at::Tensor jac;         ///< exact, order ≥ 2: [N, d, d], jac[n, i, j] = ∂ε_i/∂u_K,j
  at::Tensor probe;       ///< Hutchinson: v [N, d] (not differentiable)
  at::Tensor vjp;         ///< Hutchinson, order ≥ 2: Jᵀv [N, d]
  at::Tensor jvp;         ///< Hutchinson, order 3: J v [N, d], detached (enters only stop-gradient terms)
  at::Tensor grad_trace;  ///< order 3: ∇_{u_K} tr J (exact) or ∇_{u_K} vᵀJv (Hutchinson), [N, d]
};

/// Differentiates eps_fn at u (num_blocks blocks) up to `order` (1–3). `probe`
/// (v, [N, d] or the last block's shape) selects the Hutchinson estimator;
/// undefined selects the exact Jacobian.
EpsDerivatives eps_derivatives(const EpsFunction& eps_fn, const at::Tensor& u, int64_t num_blocks, int order,
                               const at::Tensor& probe = {});

/// The per-sample terms of math.md §11.2/§11.3 ([N], in eps's dtype; those
/// above `order` undefined), before any weight or λ.
struct HdsmTerms {
  int64_t dim = 0;            ///< d
  at::Tensor first;           ///< ‖ε − z_K‖²
  at::Tensor frobenius;       ///< F = ‖I − ℓJ − hhᵀ‖²_F (or its Hutchinson estimate)
  at::Tensor trace;           ///< R = (d − ℓ tr J − ‖h‖²)² (or its estimate)
  at::Tensor third;           ///< G = ‖q‖² (or its estimate)
  at::Tensor trace_residual;  ///< d − ℓ tr J − ‖h‖² (or its estimate), order ≥ 2
  at::Tensor third_residual;  ///< q [N, d], order 3
};

/// target: z_K (any shape with N rows); ell: ℓ_t [N] (any dtype).
HdsmTerms hdsm_terms(const EpsDerivatives& derivatives, const at::Tensor& target, const at::Tensor& ell, int order);

/// The per-sample loss ‖ε − z_K‖² + λ₂ S₂ + λ₃ G of math.md §11.2 ([N]).
at::Tensor combine_hdsm_terms(const HdsmTerms& terms, HdsmForm form, double lambda2, double lambda3, int order);

}  // namespace hold
