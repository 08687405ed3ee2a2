#pragma once
// How well samples reproduce a known Gaussian mixture, mode by mode: the
// numbers the sampler comparisons of math.md §9 and docs/results.md report.
// Each sample goes to its most probable component (log π_j + log N(x; m_j, s_j²),
// the Bayes classifier; for equal weights and stds the nearest mean).
#include <ATen/core/Tensor.h>

#include <vector>

#include "hold/core/gaussian_mixture.h"

namespace hold {

struct ModeStats {
  double weight = 0.0;      ///< fraction of the samples assigned to the mode
  double mean_error = 0.0;  ///< max over coordinates of |sample mean − m_j|
  /// Pooled std over the coordinates relative to the mode's: √(mean_i var_i / s_ji²) − 1.
  double std_error = 0.0;
  int64_t count = 0;
};

struct MixtureModeReport {
  std::vector<ModeStats> modes;
  double worst_std_error = 0.0;     ///< the signed std error of largest magnitude
  double worst_weight_error = 0.0;  ///< max_j |weight_j − π_j|
  double worst_mean_error = 0.0;    ///< max_j mean_error (modes with at least 2 samples)
};

/// x: [n, d] samples (any float dtype, any device); non-finite samples count
/// in n but belong to no mode. The mixture must be validated.
MixtureModeReport mixture_modes(const at::Tensor& x, const GaussianMixture& mixture);

}  // namespace hold
