#pragma once
// The probability-flow ODE in forward time (math.md §4):
//   du/dt = β(t) (F ⊗ I) u − ½ g²(t) e_K s(u, t)
// (the reverse-time drift β[−F u + ½ D s] with the sign of dt; g² already holds
// β D_KK, and the sub-VP g²). The ode samplers integrate it from t_start down
// to t_s; the likelihood (lib/likelihood) integrates it up from t_ε to T.
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "hold/sde/block_map.h"

namespace hold {

class LinearSde;
class ScoreModel;

class ProbabilityFlow {
 public:
  /// The drift's coefficients at one time (fixed grids compute them before the loop).
  struct Point {
    double beta = 0.0;     ///< β(t)
    double half_g2 = 0.0;  ///< ½ g²(t)
    at::Tensor times;      ///< [N] = t, for the model
  };

  /// For states of `batch` samples with block_numel numbers per block, of the
  /// given dtype and device. The sde and model must outlive the flow.
  ProbabilityFlow(const LinearSde& sde, ScoreModel& model, int64_t batch, int64_t block_numel,
                  const at::TensorOptions& state_options);
  Point at(double t) const;
  /// du/dt at u ([N, K·C, ...]); one score evaluation.
  at::Tensor operator()(const at::Tensor& u, const Point& p) const;
  /// The same from a score already evaluated at (u, t).
  at::Tensor drift(const at::Tensor& u, const at::Tensor& score, const Point& p) const;
  /// div of the linear part β (F ⊗ I) u: β(t) · block_numel · tr F (exact, free).
  double linear_divergence(const Point& p) const { return p.beta * trace_term_; }

 private:
  const LinearSde& sde_;
  ScoreModel& model_;
  int64_t batch_;
  at::TensorOptions time_options_;
  BlockMap drift_;     // F ⊗ I
  double trace_term_;  // block_numel · tr F
};

}  // namespace hold
