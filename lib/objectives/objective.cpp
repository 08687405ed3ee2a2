#include "hold/objectives/objective.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include "hold/core/error.h"
#include "hold/core/format.h"
#include "hold/sde/blocks.h"
#include "hold/sde/linear_sde.h"

namespace hold {
namespace {

/// Block index of a block name: x → 0, v → 1, a → 2, b<k> → k; −1 if not a name.
int block_index(const std::string& name) {
  if (name == "x") return 0;
  if (name == "v") return 1;
  if (name == "a") return 2;
  if (name.size() >= 2 && name[0] == 'b' &&
      std::all_of(name.begin() + 1, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return name.size() > 3 ? kMaxBlocks : std::stoi(name.substr(1));
  }
  return -1;
}

bool is_dsm(const ObjectiveConfig& c) { return objective_registry().at(c.name).value == ObjectiveKind::kDsm; }

/// The blocks given at t = 0: all for dsm, S for bcsm/hsm (sorted, x first).
std::vector<int> given_blocks(const ObjectiveConfig& c, int num_blocks) {
  std::vector<int> given;
  if (is_dsm(c)) {
    for (int k = 0; k < num_blocks; ++k) given.push_back(k);
    return given;
  }
  for (const auto& name : c.blocks) given.push_back(block_index(name));
  std::sort(given.begin(), given.end());
  return given;
}

}  // namespace

const Registry<Choice<ObjectiveKind>>& objective_registry() {
  static const Registry<Choice<ObjectiveKind>> registry(
      "objective", "objective.name",
      {
          {"dsm", ObjectiveKind::kDsm, "denoising score matching with every block given at t = 0"},
          {"bcsm", ObjectiveKind::kBcsm, "block coordinate score matching: the blocks objective.blocks given"},
          {"hsm", ObjectiveKind::kBcsm, "CLD's hybrid score matching (bcsm with blocks [x])"},
          {"hdsm", ObjectiveKind::kHdsm,
           "high-order DSM (math.md §11): bcsm plus the Jacobian and trace-gradient terms of objective.order"},
          {"classifier", ObjectiveKind::kClassifier,
           "a noise-conditional classifier p_t(y | u_t) on bcsm's perturbed states, by cross-entropy with the "
           "data's labels (guidance: hold-sample --classifier; math.md §10)"},
      });
  return registry;
}

const Registry<Choice<Weighting>>& weighting_registry() {
  static const Registry<Choice<Weighting>> registry(
      "weighting", "objective.weighting",
      {
          {"noise", Weighting::kNoise, "every t weighs 1 (the ε-loss)"},
          {"likelihood", Weighting::kLikelihood, "g²(t)/ℓ_t²: the loss bounds the negative log-likelihood"},
      });
  return registry;
}

const Registry<Choice<ObjectiveTarget>>& objective_target_registry() {
  static const Registry<Choice<ObjectiveTarget>> registry(
      "objective target", "objective.target",
      {
          {"last", ObjectiveTarget::kLast, "ε of the last block, z_K (the paper's BCSM; a last-block network)"},
          {"all", ObjectiveTarget::kAll, "ε of every block, z: the network outputs K·C channels, full-state score"},
      });
  return registry;
}

bool ObjectiveConfig::predicts_all_blocks() const {
  return objective_target_registry().at(target).value == ObjectiveTarget::kAll;
}

bool ObjectiveConfig::trains_classifier() const {
  return objective_registry().at(name).value == ObjectiveKind::kClassifier;
}

void ObjectiveConfig::validate(const LinearSde& sde) const {
  const bool hdsm = objective_registry().at(name).value == ObjectiveKind::kHdsm;
  weighting_registry().at(weighting);
  objective_target_registry().at(target);
  hdsm_estimator_registry().at(hdsm_estimator);
  hdsm_form_registry().at(hdsm_form);
  if (!(t_eps > 0.0 && t_eps < sde.t_max())) {
    throw ConfigError("t_eps must be in (0, T = " + fmt(sde.t_max()) + "), got " + fmt(t_eps) + " (objective.t_eps)");
  }
  if (order < 1 || order > 3) {
    throw ConfigError("order must be 1, 2 or 3, got " + std::to_string(order) + " (objective.order)");
  }
  if (hdsm && predicts_all_blocks()) {
    throw ConfigError(
        "hdsm trains the last block's ε and its derivatives; objective.target all is not built for it "
        "(objective.target)");
  }
  if (trains_classifier() && predicts_all_blocks()) {
    throw ConfigError(
        "the classifier objective predicts class logits, not ε: objective.target all does not apply "
        "(objective.target)");
  }
  if (order > 1 && !hdsm) {
    throw ConfigError("order " + std::to_string(order) + " needs objective.name hdsm, got '" + name +
                      "' (objective.order)");
  }
  const std::pair<const char*, double> weights[] = {{"lambda2", lambda2}, {"lambda3", lambda3}};
  for (const auto& [key, value] : weights) {
    if (!(std::isfinite(value) && value >= 0.0)) {
      throw ConfigError(std::string(key) + " must be finite and ≥ 0, got " + fmt(value) + " (objective." + key + ")");
    }
  }
  if (is_dsm(*this)) return;  // dsm gives every block; `blocks` is not used
  const int k = sde.num_blocks();
  std::vector<int> seen;
  for (const auto& b : blocks) {
    const int i = block_index(b);
    if (i < 0) {
      throw ConfigError("unknown block '" + b + "', expected x, v, a or b<k> (objective.blocks)");
    }
    if (i >= k) {
      throw ConfigError("block '" + b + "' does not exist: SDE '" + sde.name() + "' has " + std::to_string(k) +
                        " block(s) (objective.blocks)");
    }
    if (std::find(seen.begin(), seen.end(), i) != seen.end()) {
      throw ConfigError("block '" + b + "' is listed twice (objective.blocks)");
    }
    seen.push_back(i);
  }
  if (std::find(seen.begin(), seen.end(), 0) == seen.end()) {
    throw ConfigError("the data block 'x' must be among the given blocks (objective.blocks)");
  }
}

Objective::Objective(const LinearSde& sde, ObjectiveConfig config) : sde_(sde), config_(std::move(config)) {
  config_.validate(sde_);
  kind_ = objective_registry().at(config_.name).value;
  weighting_ = weighting_registry().at(config_.weighting).value;
  all_blocks_ = config_.predicts_all_blocks();
  estimator_ = hdsm_estimator_registry().at(config_.hdsm_estimator).value;
  form_ = hdsm_form_registry().at(config_.hdsm_form).value;
  given_ = given_blocks(config_, sde_.num_blocks());
  sigma0_ = sde_.initial_cov(given_);
}

PerturbedBatch Objective::perturb(const at::Tensor& x0, at::Generator time_gen, at::Generator noise_gen) const {
  const int64_t n = x0.size(0);
  const double t_eps = config_.t_eps;
  // Pinned when the batch lives on a GPU, so its copies there are asynchronous.
  auto t =
      at::empty({n}, at::TensorOptions().dtype(at::kDouble).pinned_memory(x0.is_cuda())).uniform_(0.0, 1.0, time_gen);
  t.mul_(sde_.t_max() - t_eps).add_(t_eps);
  return perturb_at(x0, t, noise_gen);
}

PerturbedBatch Objective::perturb_at(const at::Tensor& x0, const at::Tensor& t, at::Generator gen) const {
  const int64_t n = x0.size(0);
  const int k = sde_.num_blocks();
  TORCH_CHECK(t.dim() == 1 && t.size(0) == n, "Objective: t must be [N] with N = ", n);
  const auto t_host = t.to(at::kCPU, at::kDouble).contiguous();
  const double* tp = t_host.data_ptr<double>();

  // Per-sample coefficients, computed on the host in float64 into one buffer
  // each (no per-sample tensors): Φ(t_i), L_t(t_i), ℓ_t, the loss weight.
  auto host = at::TensorOptions().dtype(at::kDouble).pinned_memory(x0.is_cuda());
  auto phi = at::empty({n, k, k}, host);
  auto factor = at::empty({n, k, k}, host);
  auto ell = at::empty({n}, host);
  auto weight = at::empty({n}, host);
  double* phi_p = phi.data_ptr<double>();
  double* factor_p = factor.data_ptr<double>();
  double* ell_p = ell.data_ptr<double>();
  double* weight_p = weight.data_ptr<double>();
  const bool likelihood = weighting_ == Weighting::kLikelihood;
  // Independent per sample; split over the intra-op threads (grain: enough
  // samples to amortise a task).
  at::parallel_for(0, n, /*grain_size=*/128, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      const double ts = tp[s];
      const Kernel kern = sde_.kernel(ts);
      const Mat l = sde_.marginal_factor(kern, ts, sigma0_);
      for (int i = 0; i < k; ++i)
        for (int j = 0; j < k; ++j) {
          phi_p[(s * k + i) * k + j] = kern.phi(i, j);
          factor_p[(s * k + i) * k + j] = l(i, j);
        }
      const double ell_s = l(k - 1, k - 1);
      ell_p[s] = ell_s;
      weight_p[s] = likelihood ? sde_.g2(ts) / (ell_s * ell_s) : 1.0;
    }
  });

  // m₀: x and the given aux blocks (drawn from N(0, εΣ∞_kk), then known);
  // zeros where the block is marginalised (its variance is in Σ₀).
  const auto opts = x0.options();
  std::vector<at::Tensor> blocks{x0};
  for (int b = 1; b < k; ++b) {
    if (std::find(given_.begin(), given_.end(), b) != given_.end()) {
      const double sd = std::sqrt(sde_.eps() * sde_.prior_cov()(b, b));
      blocks.push_back(at::normal(0.0, sd, x0.sizes(), gen, opts));
    } else {
      blocks.push_back(at::zeros_like(x0));
    }
  }
  const auto m0 = join_blocks(blocks);
  auto z = at::normal(0.0, 1.0, m0.sizes(), gen, opts);

  const auto device = x0.device();
  PerturbedBatch batch;
  // Host buffers are pinned on CUDA: these copies do not wait for the device.
  auto to_device = [&](const at::Tensor& host_tensor) { return host_tensor.to(device, /*non_blocking=*/true); };
  batch.u_t = apply_blockwise_batched(to_device(phi), m0) + apply_blockwise_batched(to_device(factor), z);
  batch.t = t_host;  // stays on the host: score models read t there (float64 kernels)
  batch.target = all_blocks_ ? z : last_block(z, k);
  batch.weight = to_device(weight).to(at::kFloat);
  batch.ell = to_device(ell);
  return batch;
}

at::Tensor Objective::loss(const at::Tensor& eps_pred, const PerturbedBatch& batch) const {
  const auto per_sample = (eps_pred - batch.target).square().flatten(1).sum(1);
  if (weighting_ == Weighting::kNoise) return per_sample.mean();
  return (per_sample * batch.weight.to(per_sample.scalar_type())).mean();
}

at::Tensor Objective::classifier_loss(const at::Tensor& logits, const PerturbedBatch& batch) const {
  TORCH_CHECK(batch.labels.defined(), "Objective: the classifier objective needs the batch's labels");
  const at::Tensor log_p = at::log_softmax(logits.to(at::kFloat), 1);
  return -log_p.gather(1, batch.labels.to(logits.device(), at::kLong).unsqueeze(1)).mean();
}

HdsmEstimator Objective::estimator_for(int64_t d) const {
  if (estimator_ != HdsmEstimator::kAuto) return estimator_;
  return d <= kHdsmExactMaxDim ? HdsmEstimator::kExact : HdsmEstimator::kHutchinson;
}

at::Tensor Objective::loss(const EpsFunction& eps_fn, const PerturbedBatch& batch, at::Generator gen) const {
  const int order = static_cast<int>(config_.order);
  at::Tensor probe;
  if (order >= 2 && estimator_for(batch.target[0].numel()) == HdsmEstimator::kHutchinson) {
    // Rademacher v on the last block, drawn where the batch lives.
    probe = at::randint(0, 2, batch.target.sizes(), gen, batch.target.options()).mul_(2).sub_(1);
  }
  const EpsDerivatives derivatives = eps_derivatives(eps_fn, batch.u_t, sde_.num_blocks(), order, probe);
  const HdsmTerms terms = hdsm_terms(derivatives, batch.target, batch.ell, order);
  const at::Tensor per_sample = combine_hdsm_terms(terms, form_, config_.lambda2, config_.lambda3, order);
  if (weighting_ == Weighting::kNoise) return per_sample.mean();
  return (per_sample * batch.weight.to(per_sample.scalar_type())).mean();
}

}  // namespace hold
