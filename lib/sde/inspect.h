#pragma once
// The facts hold-inspect reports about an SDE (architecture.md): F, D, Σ∞, the
// spectrum of F, the prior mismatch at T, and the kernel at a chosen t.
#include <string>
#include <utility>
#include <vector>

#include "hold/sde/linear_sde.h"

namespace hold {

struct SdeReport {
  std::string name;
  int num_blocks = 0;
  double t_max = 0.0;
  double big_b_t_max = 0.0;  ///< B(T)
  Mat drift, diffusion, prior_cov;
  std::vector<std::pair<double, double>> eigenvalues;  ///< of F, (re, im), descending
  PriorMismatch mismatch;
  double t = 0.0;    ///< the time the kernel is reported at
  Kernel kernel;     ///< Φ(B(t)), Q(B(t))
  Mat marginal_cov;  ///< Σ_t with the default (bcsm, S = {x}) Σ₀
  double ell = 0.0;  ///< ℓ_t for that Σ₀
};

SdeReport inspect_sde(const LinearSde& sde, double t);

}  // namespace hold
