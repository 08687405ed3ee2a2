#pragma once
// The 2-D five-mode mixture the sampler tests use (math.md §8 item 3): means
// (0, 0) and (±0.8, ±0.8), std 0.05, equal weights.
#include <ATen/ATen.h>

#include <vector>

#include "hold/core/gaussian_mixture.h"

namespace hold::test {

inline GaussianMixture five_mode_mixture() {
  GaussianMixture m;
  m.weights = {1, 1, 1, 1, 1};
  m.means = {{0, 0}, {0.8, 0.8}, {0.8, -0.8}, {-0.8, -0.8}, {-0.8, 0.8}};
  m.stds.assign(5, {0.05, 0.05});
  return m;
}

/// The means as a [5, 2] float64 tensor.
inline at::Tensor five_mode_centres() {
  return at::tensor(std::vector<double>{0, 0, 0.8, 0.8, 0.8, -0.8, -0.8, -0.8, -0.8, 0.8}).view({5, 2});
}

/// The samples x [n, 2] (any float dtype) as float64, grouped by their nearest mode.
inline std::vector<at::Tensor> by_nearest_mode(const at::Tensor& x) {
  const auto x64 = x.to(at::kDouble);
  const auto nearest = at::cdist(x64, five_mode_centres()).argmin(1);
  std::vector<at::Tensor> modes;
  for (int64_t j = 0; j < 5; ++j) modes.push_back(x64.index({nearest == j}));
  return modes;
}

}  // namespace hold::test
