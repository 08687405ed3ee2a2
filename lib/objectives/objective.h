#pragma once
// Training objectives (math.md §3): dsm and bcsm (hsm = CLD's name for bcsm
// with S = {x}), weightings noise | likelihood. The objective turns a batch of
// data into a perturbed state, the target ε (= z_K), and a loss.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "hold/core/registry.h"
#include "hold/sde/mat.h"

namespace hold {

class LinearSde;

enum class ObjectiveKind { kDsm, kBcsm };
enum class Weighting { kNoise, kLikelihood };
/// What the network predicts: z_K, the last block's noise (the paper's BCSM),
/// or z, the noise of every block (u_t = μ_t + L_t z), which gives the
/// full-state score s = −L_t⁻ᵀ ε_θ (gDDIM's R frame needs it; math.md §9.4).
enum class ObjectiveTarget { kLast, kAll };
/// objective.name: dsm | bcsm | hsm.
const Registry<Choice<ObjectiveKind>>& objective_registry();
/// objective.weighting: noise | likelihood.
const Registry<Choice<Weighting>>& weighting_registry();
/// objective.target: last | all.
const Registry<Choice<ObjectiveTarget>>& objective_target_registry();

struct ObjectiveConfig {
  /// dsm | bcsm | hsm
  std::string name = "bcsm";
  /// bcsm: the blocks S given at t = 0, by name (x, v, a, or b<k> for k ≥ 3); x always.
  std::vector<std::string> blocks = {"x"};
  /// noise | likelihood
  std::string weighting = "noise";
  /// t ~ U(t_eps, T).
  double t_eps = 1e-5;
  /// last (ε of the last block) | all (ε of every block: the network outputs K·C channels).
  std::string target = "last";

  /// Whether the network predicts every block's ε (objective.target: all).
  bool predicts_all_blocks() const;

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

 private:
  const LinearSde& sde_;
  ObjectiveConfig config_;
  Weighting weighting_ = Weighting::kNoise;  ///< config_.weighting, resolved once
  bool all_blocks_ = false;                  ///< config_.target is all, resolved once
  std::vector<int> given_;
  Mat sigma0_;
};

}  // namespace hold
