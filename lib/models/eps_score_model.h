#pragma once
// EpsScoreModel: a network ε_θ wrapped with its score parameterisation
// (math.md §3), the ScoreModel that samplers and the likelihood call:
//
//   s_θ(u, t) = −ε_θ(u, t) / ℓ_t                      (plain)
//   s_θ(u, t) = s_gauss(u, t) − ε_θ(u, t) / ℓ_t       (mixed, as in CLD)
//
// ℓ_t = (L_t)_KK from the training objective's Σ₀, and s_gauss = −[(Σᵍ_t)⁻¹ u]_K
// the last-block score the marginal would have for data N(0, I):
// Σᵍ_t = Φ diag(1, εΣ∞_22, …) Φᵀ + Q. The network knows no SDE; all K×K
// coefficients come from LinearSde, once per distinct t (samplers pass one t
// for the whole batch, cached by value).
//
// An all-block network (objective.target all) predicts ε of every block, z
// with u_t = μ_t + L_t z. Since E[z | u] = −L_tᵀ ∇log p_t(u), it also gives
// the full-state score s = −L_t⁻ᵀ ε_θ (+ s_gauss of every block when mixed),
// whose last block is −ε_θ,K/ℓ_t (the last row of L⁻ᵀ is e_Kᵀ/ℓ): score()
// is the same formula on the network's last block (math.md §9.4).
#include <ATen/core/Tensor.h>

#include <memory>
#include <vector>

#include "hold/models/score_model.h"
#include "hold/sde/mat.h"

namespace hold {

class EpsNetwork;
class LinearSde;

class EpsScoreModel : public ScoreModel {
 public:
  /// sigma0: the training objective's Σ₀ (Objective::sigma0()); the SDE must
  /// outlive the model.
  /// all_blocks: the network predicts ε of every block (objective.target all).
  EpsScoreModel(std::shared_ptr<EpsNetwork> net, const LinearSde& sde, const Mat& sigma0, bool mixed_score = false,
                bool all_blocks = false);

  /// u: [N, K·C, ...] float32/float64 (on the network's device); t: [N] float64.
  /// Returns [N, C, ...] in u's dtype. The network runs in its own dtype.
  /// score = −predict_eps(u, t)/ℓ_t.
  at::Tensor score(const at::Tensor& u, const at::Tensor& t) override;
  /// A class-conditional network's score given labels [N] (0 … J − 1, or J
  /// for ∅; math.md §10.1); score(u, t) is ∅'s.
  at::Tensor score(const at::Tensor& u, const at::Tensor& t, const at::Tensor& labels);
  /// Classes of a class-conditional network (0: unconditional).
  int64_t num_classes() const;
  /// The ε the model stands for, which the training loss compares with z_K:
  /// ε_θ(u, t) (plain) or ε_θ(u, t) − ℓ_t s_gauss(u, t) (mixed). Differentiable
  /// in the network's parameters. Shapes as score(); t may differ per sample.
  /// All blocks: compared with z, [N, K·C, ...]; mixed: ε_θ − L_tᵀ s_gauss.
  /// labels: a class-conditional network's (training: with label dropout).
  at::Tensor predict_eps(const at::Tensor& u, const at::Tensor& t, const at::Tensor& labels = {});
  /// An all-block network gives the full-state score.
  bool has_full_score() const override { return all_blocks_; }
  /// −L_t⁻ᵀ ε_θ(u, t) (+ s_gauss of every block when mixed): [N, K·C, ...].
  at::Tensor full_score(const at::Tensor& u, const at::Tensor& t) override;
  at::Tensor full_score(const at::Tensor& u, const at::Tensor& t, const at::Tensor& labels);
  bool all_blocks() const { return all_blocks_; }

  /// ℓ_t of the parameterisation (math.md §3).
  double ell(double t) const;
  /// Row K of (Σᵍ_t)⁻¹: s_gauss = −Σ_j row_j u_j (math.md §3, mixed score).
  std::vector<double> gauss_precision_row(double t) const;

  EpsNetwork& network() { return *net_; }
  const std::shared_ptr<EpsNetwork>& network_ptr() const { return net_; }
  bool mixed_score() const { return mixed_score_; }

 private:
  /// Coefficients at one time: ℓ_t and (mixed) the precision row.
  struct Coefficients {
    double t = -1.0;
    double ell = 0.0;
    std::vector<double> gauss_row;
    Mat factor;     ///< all blocks: L_t
    Mat precision;  ///< all blocks, mixed: (Σᵍ_t)⁻¹
  };
  Coefficients coefficients(double t) const;
  /// The same through a one-entry cache (samplers call with one t per batch).
  const Coefficients& coefficients_at(double t);
  /// ε_θ(u, t) in u's dtype and device (the network in its own).
  at::Tensor network_eps(const at::Tensor& u, const at::Tensor& t, const at::Tensor& labels);
  /// Per-sample ℓ_t ([N, 1, ...] to broadcast over a block) and, if mixed, the
  /// precision rows ([N, K]); or, when all t are equal, the cached scalars.
  struct BatchCoefficients {
    const Coefficients* same = nullptr;  ///< set when all t are equal
    at::Tensor ell;                      ///< [N, 1, ...] otherwise
    at::Tensor rows;                     ///< [N, K] otherwise (mixed only)
  };
  BatchCoefficients batch_coefficients(const at::Tensor& u, const at::Tensor& t);
  /// Σ_j row_j u_j = −s_gauss.
  at::Tensor gauss_term(const at::Tensor& u, const BatchCoefficients& c) const;
  /// (M_t ⊗ I) v with the K×K matrix matrix_of(coefficients at t), per sample
  /// when the times differ (all-block networks).
  at::Tensor apply_at_times(const at::Tensor& v, const at::Tensor& t, Mat (*matrix_of)(const Coefficients&));

  std::shared_ptr<EpsNetwork> net_;
  // One parameter of the network: its dtype and device say where inputs go.
  // Module::to() changes parameters in place, so this handle stays current;
  // holding it spares a parameters() vector on every score call.
  at::Tensor probe_;
  const LinearSde& sde_;
  Mat sigma0_;
  Mat gauss_sigma0_;  // diag(1, εΣ∞_22, …)
  bool mixed_score_;
  bool all_blocks_;
  Coefficients cache_;
};

}  // namespace hold
