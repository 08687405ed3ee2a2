#include "hold/core/mixture_conditioning.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "hold/core/error.h"

namespace hold {

GaussianMixture condition_mixture(const GaussianMixture& mixture, const std::vector<int>& known,
                                  const std::vector<double>& values) {
  const int d = mixture.dim();
  if (known.size() != values.size()) {
    throw UsageError("condition_mixture: " + std::to_string(known.size()) + " known coordinates but " +
                     std::to_string(values.size()) + " values");
  }
  std::vector<bool> is_known(d, false);
  for (int i : known) {
    if (i < 0 || i >= d || is_known[i]) {
      throw UsageError("condition_mixture: known coordinate " + std::to_string(i) +
                       " is out of range or repeated (d = " + std::to_string(d) + ")");
    }
    is_known[i] = true;
  }
  if (static_cast<int>(known.size()) == d) throw UsageError("condition_mixture: every coordinate is known");

  // log π_j + Σ_known log N(x_i; m_ji, s_ji²), normalised by the largest.
  std::vector<double> log_w(mixture.num_components());
  double top = -std::numeric_limits<double>::infinity();
  for (int j = 0; j < mixture.num_components(); ++j) {
    double lw = std::log(mixture.weights[j]);
    for (size_t k = 0; k < known.size(); ++k) {
      const double s = mixture.stds[j][known[k]], z = (values[k] - mixture.means[j][known[k]]) / s;
      lw += -0.5 * z * z - std::log(s);
    }
    log_w[j] = lw;
    top = std::max(top, lw);
  }
  GaussianMixture out;
  for (int j = 0; j < mixture.num_components(); ++j) {
    const double w = std::exp(log_w[j] - top);
    if (w < 1e-300) continue;
    out.weights.push_back(w);
    out.means.emplace_back();
    out.stds.emplace_back();
    for (int i = 0; i < d; ++i) {
      if (is_known[i]) continue;
      out.means.back().push_back(mixture.means[j][i]);
      out.stds.back().push_back(mixture.stds[j][i]);
    }
  }
  double total = 0.0;
  for (double w : out.weights) total += w;
  for (double& w : out.weights) w /= total;
  return out;
}

}  // namespace hold
