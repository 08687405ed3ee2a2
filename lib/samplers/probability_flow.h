#pragma once
// The probability-flow ODE in forward time (math.md §4), internal to lib/samplers:
//   du/dt = β(t) (F ⊗ I) u − ½ g²(t) e_K s(u, t)
// (the reverse-time drift β[−F u + ½ D s] with the sign of dt; g² already holds
// β D_KK, and the sub-VP g²). Samplers integrate it from t_start down to t_s.
#include <ATen/core/Tensor.h>

#include "sde/block_map.h"
#include "samplers/driver.h"

namespace hold::detail {

class ProbabilityFlow {
 public:
  /// The drift's coefficients at one time (fixed grids compute them before the loop).
  struct Point {
    double beta = 0.0;     ///< β(t)
    double half_g2 = 0.0;  ///< ½ g²(t)
    at::Tensor times;      ///< [N] = t, for the model
  };

  explicit ProbabilityFlow(const SamplerContext& ctx);
  Point at(double t) const;
  /// du/dt at u ([N, K·C, ...]); one score evaluation.
  at::Tensor operator()(const at::Tensor& u, const Point& p) const;

 private:
  const SamplerContext& ctx_;
  BlockMap drift_;  // F ⊗ I
};

}  // namespace hold::detail
