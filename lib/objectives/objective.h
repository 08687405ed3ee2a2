#pragma once
// Training objectives (math.md §3): dsm and bcsm (hsm = CLD's name for bcsm
// with S = {x}), and hdsm (math.md §11: bcsm's perturbation with the
// second- and third-order terms of high-order DSM); weightings noise |
// likelihood. The objective turns a batch of data into a perturbed state, the
// target ε (= z_K), and a loss: from the prediction ε alone (dsm, bcsm, hdsm
// of order 1), or from the network itself where derivatives are needed
// (needs_network()). The classifier objective (issue 14) trains no score: a
// noise-conditional classifier p_t(y | u_t) on the same perturbed states
// (bcsm's perturbation), by cross-entropy with the data's class labels.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "hold/core/registry.h"
#include "hold/objectives/hdsm.h"
#include "hold/sde/mat.h"

namespace hold {

class LinearSde;

enum class ObjectiveKind { kDsm, kBcsm, kHdsm, kClassifier };
enum class Weighting { kNoise, kLikelihood };
/// What the network predicts: z_K, the last block's noise (the paper's BCSM),
/// or z, the noise of every block (u_t = μ_t + L_t z), which gives the
/// full-state score s = −L_t⁻ᵀ ε_θ (gDDIM's R frame needs it; math.md §9.4).
enum class ObjectiveTarget { kLast, kAll };
/// objective.name: dsm | bcsm | hsm | hdsm | classifier.
const Registry<Choice<ObjectiveKind>>& objective_registry();
/// objective.weighting: noise | likelihood.
const Registry<Choice<Weighting>>& weighting_registry();
/// objective.target: last | all.
const Registry<Choice<ObjectiveTarget>>& objective_target_registry();

struct ObjectiveConfig {
  /// dsm | bcsm | hsm | hdsm | classifier
  std::string name = "bcsm";
  /// bcsm, hdsm: the blocks S given at t = 0, by name (x, v, a, or b<k> for k ≥ 3); x always.
  std::vector<std::string> blocks = {"x"};
  /// noise | likelihood
  std::string weighting = "noise";
  /// t ~ U(t_eps, T).
  double t_eps = 1e-5;
  /// hdsm: 1 (first order only), 2 (+ the Jacobian), 3 (+ the gradient of its trace).
  int64_t order = 1;
  /// hdsm: weights of the second- and third-order terms (the seed's toys).
  double lambda2 = 0.5;
  double lambda3 = 0.1;
  /// hdsm: auto | exact | hutchinson (hdsm_estimator_registry()).
  std::string hdsm_estimator = "auto";
  /// hdsm: frobenius | trace | both (hdsm_form_registry()).
  std::string hdsm_form = "frobenius";
  /// last (ε of the last block) | all (ε of every block: the network outputs K·C channels).
  std::string target = "last";

  /// Whether the network predicts every block's ε (objective.target: all).
  bool predicts_all_blocks() const;
  /// Whether the run trains a noise-conditional classifier (objective.name
  /// classifier), not a score network: its checkpoints are classifiers.
  bool trains_classifier() const;

  /// Throws ConfigError naming "objective.<key>".
  void validate(const LinearSde& sde) const;
};

/// One perturbed batch.
struct PerturbedBatch {
  at::Tensor u_t;     ///< [N, K·C, ...] in x0's dtype
  at::Tensor t;       ///< [N] float64 on the host (pinned for a CUDA batch): score models read it there
  at::Tensor target;  ///< what ε_θ predicts: z_K [N, C, ...], or z [N, K·C, ...] for target all
  at::Tensor weight;  ///< [N] float32 loss weights (1 for `noise`)
  at::Tensor ell;     ///< [N] float64 ℓ_t
  at::Tensor labels;  ///< [N] int64 class labels of x0 where the data have them (the trainer sets them)
};

class Objective {
 public:
  Objective(const LinearSde& sde, ObjectiveConfig config);

  /// Σ₀ of this objective (used for ℓ_t by the score parameterisation).
  const Mat& sigma0() const { return sigma0_; }
  /// Draws t, the given aux blocks and z; builds u_t = μ_t + L_t z (math.md §3).
  /// Draw order from gen: t, then the given aux blocks in block order (all of
  /// them for dsm, S ∖ {x} for bcsm; none for the default S = {x}), then z.
  /// x0: [N, C, ...] on the generator's device; the batch comes back there.
  PerturbedBatch perturb(const at::Tensor& x0, at::Generator gen) const { return perturb(x0, gen, gen); }
  /// The same with t drawn by a CPU generator (the per-sample kernels are
  /// float64 host arithmetic, math.md §2: t must be on the host anyway) and
  /// the aux blocks and z by `noise_gen` on x0's device, so that a GPU step
  /// draws on the GPU and never waits for a device-to-host copy.
  PerturbedBatch perturb(const at::Tensor& x0, at::Generator time_gen, at::Generator noise_gen) const;
  /// The same at given times t ([N] float64, on the CPU or x0's device).
  PerturbedBatch perturb_at(const at::Tensor& x0, const at::Tensor& t, at::Generator gen) const;
  /// Mean over the batch of weight · ‖eps_pred − target‖² (summed over data dims
  /// and, for target all, over the blocks).
  at::Tensor loss(const at::Tensor& eps_pred, const PerturbedBatch& batch) const;
  /// The classifier objective: mean cross-entropy of logits [N, J] (any
  /// float dtype) against batch.labels, −log softmax(logits)_y.
  at::Tensor classifier_loss(const at::Tensor& logits, const PerturbedBatch& batch) const;
  bool trains_classifier() const { return kind_ == ObjectiveKind::kClassifier; }
  /// Whether the loss needs the network itself (hdsm of order ≥ 2): then the
  /// trainer calls the overload below instead of predicting ε first.
  bool needs_network() const { return kind_ == ObjectiveKind::kHdsm && config_.order >= 2; }
  /// hdsm: mean over the batch of weight · (‖ε − z_K‖² + λ₂ S₂ + λ₃ G)
  /// (math.md §11.2), the network differentiated in u_K by double backward.
  /// Hutchinson probes are drawn from gen on the batch's device (after
  /// perturb's draws). eps_fn: u ↦ ε_θ(u, batch.t), differentiable.
  at::Tensor loss(const EpsFunction& eps_fn, const PerturbedBatch& batch, at::Generator gen) const;
  /// The estimator hdsm uses at data dimension d (auto resolved).
  HdsmEstimator estimator_for(int64_t d) const;
  const ObjectiveConfig& config() const { return config_; }

 private:
  const LinearSde& sde_;
  ObjectiveConfig config_;
  ObjectiveKind kind_ = ObjectiveKind::kBcsm;  ///< config_.name, resolved once
  Weighting weighting_ = Weighting::kNoise;    ///< config_.weighting, resolved once
  HdsmEstimator estimator_ = HdsmEstimator::kAuto;
  HdsmForm form_ = HdsmForm::kFrobenius;
  bool all_blocks_ = false;  ///< config_.target is all, resolved once
  std::vector<int> given_;
  Mat sigma0_;
};

}  // namespace hold
