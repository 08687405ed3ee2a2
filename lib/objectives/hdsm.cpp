#include "hold/objectives/hdsm.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <vector>

#include "hold/sde/blocks.h"

namespace hold {
namespace {

/// ∂(Σ output)/∂input, with the graph kept for the loss's backward; zeros
/// where the output does not depend on the input (a network linear in u_K has
/// a constant Jacobian: its ∇ tr J is 0, not an error).
at::Tensor grad_of(const at::Tensor& output, const at::Tensor& input, bool create_graph) {
  if (!output.requires_grad()) return at::zeros_like(input);
  auto g = torch::autograd::grad({output}, {input}, {}, /*retain_graph=*/true, create_graph, /*allow_unused=*/true)[0];
  return g.defined() ? g : at::zeros_like(input);
}

}  // namespace

const Registry<Choice<HdsmEstimator>>& hdsm_estimator_registry() {
  static const Registry<Choice<HdsmEstimator>> registry(
      "hdsm estimator", "objective.hdsm_estimator",
      {
          {"auto", HdsmEstimator::kAuto, "exact for data dimension d ≤ 8, hutchinson above"},
          {"exact", HdsmEstimator::kExact, "the whole last-block Jacobian: d double backwards per step"},
          {"hutchinson", HdsmEstimator::kHutchinson, "one Rademacher probe per sample: one double backward"},
      });
  return registry;
}

const Registry<Choice<HdsmForm>>& hdsm_form_registry() {
  static const Registry<Choice<HdsmForm>> registry(
      "hdsm form", "objective.hdsm_form",
      {
          {"frobenius", HdsmForm::kFrobenius, "‖I − ℓJ − hhᵀ‖²_F / d (the seed's toys)"},
          {"trace", HdsmForm::kTrace, "(d − ℓ tr J − ‖h‖²)²"},
          {"both", HdsmForm::kBoth, "the sum of the two (the seed's CIFAR-10 runs)"},
      });
  return registry;
}

EpsDerivatives eps_derivatives(const EpsFunction& eps_fn, const at::Tensor& u, int64_t num_blocks, int order,
                               const at::Tensor& probe) {
  TORCH_CHECK(order >= 1 && order <= 3, "eps_derivatives: order must be 1, 2 or 3, got ", order);
  const int64_t n = u.size(0);
  // Derivatives are in u_K alone (math.md §11.1): the other blocks enter as
  // constants, the last as the one leaf that requires a gradient.
  const at::Tensor uk = last_block(u, num_blocks).detach().clone().requires_grad_(true);
  at::Tensor state = uk;
  if (num_blocks > 1) {
    std::vector<at::Tensor> blocks;
    for (int64_t j = 0; j + 1 < num_blocks; ++j) blocks.push_back(block(u, num_blocks, j).detach());
    blocks.push_back(uk);
    state = join_blocks(blocks);
  }
  EpsDerivatives out;
  out.eps = eps_fn(state).reshape({n, -1});
  if (order == 1) return out;
  const int64_t d = out.eps.size(1);
  auto flat = [&](const at::Tensor& g) { return g.reshape({n, d}); };

  if (!probe.defined()) {
    // Row i of every sample's J at once: the samples are independent, so the
    // gradient of Σ_n ε_n,i is ∂ε_i/∂u_K per sample.
    std::vector<at::Tensor> rows;
    rows.reserve(d);
    for (int64_t i = 0; i < d; ++i) rows.push_back(flat(grad_of(out.eps.select(1, i).sum(), uk, true)));
    out.jac = at::stack(rows, 1);
    if (order >= 3) out.grad_trace = flat(grad_of(out.jac.diagonal(0, 1, 2).sum(), uk, true));
    return out;
  }

  out.probe = probe.reshape({n, d}).to(out.eps.scalar_type()).detach();
  // a = v as a leaf of its own: vᵀ(Jᵀa) differentiated in a gives J v.
  const at::Tensor a = order >= 3 ? out.probe.clone().requires_grad_(true) : out.probe;
  out.vjp = flat(grad_of((out.eps * a).sum(), uk, true));
  if (order >= 3) {
    const at::Tensor vjv = (out.vjp * out.probe).sum();
    out.grad_trace = flat(grad_of(vjv, uk, true));
    out.jvp = grad_of(vjv, a, false).detach();
  }
  return out;
}

HdsmTerms hdsm_terms(const EpsDerivatives& derivatives, const at::Tensor& target, const at::Tensor& ell, int order) {
  const at::Tensor& eps = derivatives.eps;
  const int64_t n = eps.size(0), d = eps.size(1);
  const auto dd = static_cast<double>(d);
  const at::Tensor z = target.reshape({n, d}).to(eps.scalar_type());
  const at::Tensor l = ell.to(eps.device(), eps.scalar_type()).reshape({n, 1});
  HdsmTerms t;
  t.dim = d;
  t.first = (eps - z).square().sum(1);
  if (order == 1) return t;
  // h = z_K − sg(ε): the one-sample estimate of z_K − E[z_K | u].
  const at::Tensor h = z - eps.detach();
  const at::Tensor h2 = h.square().sum(1, /*keepdim=*/true);

  if (derivatives.jac.defined()) {
    const at::Tensor& jac = derivatives.jac;
    const at::Tensor m =
        at::eye(d, eps.options()).unsqueeze(0) - l.unsqueeze(2) * jac - h.unsqueeze(2) * h.unsqueeze(1);
    t.frobenius = m.square().sum({1, 2});
    const at::Tensor tr = jac.diagonal(0, 1, 2).sum(1, /*keepdim=*/true);
    t.trace_residual = (dd - l * tr - h2).squeeze(1);
    t.trace = t.trace_residual.square();
    if (order >= 3) {
      const at::Tensor jac_sg = jac.detach();
      const at::Tensor jh = at::bmm(jac_sg, h.unsqueeze(2)).squeeze(2);
      const at::Tensor q =
          -l.square() * derivatives.grad_trace + h2 * h - (dd - l * tr.detach()) * h - 2.0 * (h - l * jh);
      t.third_residual = q;
      t.third = q.square().sum(1);
    }
    return t;
  }

  const at::Tensor& v = derivatives.probe;
  const at::Tensor& w = derivatives.vjp;  // Jᵀv
  const at::Tensor hv = (h * v).sum(1, /*keepdim=*/true);
  const at::Tensor vv = v.square().sum(1, /*keepdim=*/true);
  const at::Tensor vjv = (v * w).sum(1, /*keepdim=*/true);
  // E_v ‖Mᵀv‖² = ‖M‖²_F: Jᵀv serves the Frobenius term as well as J v.
  t.frobenius = (v - l * w - hv * h).square().sum(1);
  t.trace_residual = (vv - l * vjv - hv.square()).squeeze(1);
  t.trace = t.trace_residual.square();
  if (order >= 3) {
    const at::Tensor q = -l.square() * derivatives.grad_trace + hv.square() * h - (vv - l * vjv.detach()) * h -
                         2.0 * hv * (v - l * derivatives.jvp);
    t.third_residual = q;
    t.third = q.square().sum(1);
  }
  return t;
}

at::Tensor combine_hdsm_terms(const HdsmTerms& terms, HdsmForm form, double lambda2, double lambda3, int order) {
  at::Tensor loss = terms.first;
  if (order == 1) return loss;
  // F is a sum over d² entries, the others over d: F/d keeps the seed's
  // per-entry means in the same ratio (math.md §11.2).
  const double per_entry = 1.0 / static_cast<double>(terms.dim);
  at::Tensor second;
  switch (form) {
    case HdsmForm::kFrobenius: second = terms.frobenius * per_entry; break;
    case HdsmForm::kTrace: second = terms.trace; break;
    case HdsmForm::kBoth: second = terms.frobenius * per_entry + terms.trace; break;
  }
  loss = loss + lambda2 * second;
  if (order >= 3) loss = loss + lambda3 * terms.third;
  return loss;
}

}  // namespace hold
