#pragma once
// The exact conditional of a Gaussian mixture given some of its coordinates
// (math.md §10; issue 14 item 4): with axis-aligned components the
// conditional law of the unknown coordinates is again such a mixture, each
// component keeping its unknown means and stds, its weight multiplied by its
// density at the known values:
//   π_j' ∝ π_j Π_{i known} N(x_i; m_ji, s_ji²).
// Served to the oracle (models/gaussian_mixture_oracle.h), it gives the exact
// conditional score, so any sampler then draws the exact conditional: the
// reference the inpainting methods are measured against.
#include <vector>

#include "hold/core/gaussian_mixture.h"

namespace hold {

/// The mixture of the coordinates not in `known` given x[known[k]] = values[k].
/// Components whose weight underflows (below 1e-300 of the largest) are dropped.
/// Throws UsageError for an index out of range or repeated, a size mismatch,
/// or no unknown coordinate left. The mixture must be validated.
GaussianMixture condition_mixture(const GaussianMixture& mixture, const std::vector<int>& known,
                                  const std::vector<double>& values);

}  // namespace hold
