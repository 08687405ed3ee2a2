#include "hold/metrics/sample_distance.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "hold/core/error.h"

namespace hold {
namespace {

/// [n, d] float64 (1-D input [n] becomes [n, 1]).
at::Tensor as_points(const at::Tensor& x, const char* what) {
  if (x.dim() != 1 && x.dim() != 2) {
    throw UsageError(std::string("expected a point set of shape [n] or [n, d], got ") + std::to_string(x.dim()) +
                     " dimensions (" + what + ")");
  }
  if (x.size(0) == 0) throw UsageError(std::string("empty point set (") + what + ")");
  return (x.dim() == 1 ? x.unsqueeze(1) : x).to(at::kDouble).contiguous();
}

/// Mean of ‖a_i − b_j‖ over all pairs, chunked.
double mean_pairwise_distance(const at::Tensor& a, const at::Tensor& b, int64_t chunk) {
  constexpr int64_t kDoNotUseMm = 2;  // at::cdist compute_mode: exact differences
  double total = 0.0;
  for (int64_t i = 0; i < a.size(0); i += chunk) {
    const at::Tensor ai = a.slice(0, i, std::min(i + chunk, a.size(0)));
    for (int64_t j = 0; j < b.size(0); j += chunk) {
      const at::Tensor bj = b.slice(0, j, std::min(j + chunk, b.size(0)));
      total += at::cdist(ai, bj, 2.0, kDoNotUseMm).sum().item<double>();
    }
  }
  return total / (static_cast<double>(a.size(0)) * static_cast<double>(b.size(0)));
}

}  // namespace

double energy_distance(const at::Tensor& x, const at::Tensor& y, int64_t chunk) {
  const at::Tensor a = as_points(x, "energy_distance x");
  const at::Tensor b = as_points(y, "energy_distance y").to(a.device());
  if (a.size(1) != b.size(1)) {
    throw UsageError("point sets of different dimension: " + std::to_string(a.size(1)) + " and " +
                     std::to_string(b.size(1)) + " (energy_distance)");
  }
  chunk = std::max<int64_t>(chunk, 1);
  return mean_pairwise_distance(a, b, chunk) - 0.5 * mean_pairwise_distance(a, a, chunk) -
         0.5 * mean_pairwise_distance(b, b, chunk);
}

double wasserstein_1d(const at::Tensor& a, const at::Tensor& b, double p) {
  const at::Tensor sa = std::get<0>(a.reshape({-1}).to(at::kCPU, at::kDouble).sort()).contiguous();
  const at::Tensor sb = std::get<0>(b.reshape({-1}).to(at::kCPU, at::kDouble).sort()).contiguous();
  const int64_t n = sa.numel(), m = sb.numel();
  if (n == 0 || m == 0) throw UsageError("empty point set (wasserstein_1d)");
  const double* pa = sa.data_ptr<double>();
  const double* pb = sb.data_ptr<double>();
  // Walk the merged quantile levels k/n and l/m: on each interval both
  // quantile functions are constant.
  double total = 0.0, q = 0.0;
  int64_t i = 0, j = 0;
  while (i < n && j < m) {
    const double next_a = static_cast<double>(i + 1) / n, next_b = static_cast<double>(j + 1) / m;
    const double next = std::min(next_a, next_b);
    total += (next - q) * std::pow(std::fabs(pa[i] - pb[j]), p);
    q = next;
    if (next_a <= next) ++i;
    if (next_b <= next) ++j;
  }
  return std::pow(total, 1.0 / p);
}

double sliced_wasserstein(const at::Tensor& x, const at::Tensor& y, at::Generator gen, int64_t projections, double p) {
  const at::Tensor a = as_points(x, "sliced_wasserstein x").cpu();
  const at::Tensor b = as_points(y, "sliced_wasserstein y").cpu();
  if (a.size(1) != b.size(1)) throw UsageError("point sets of different dimension (sliced_wasserstein)");
  at::Tensor theta = at::randn({a.size(1), projections}, gen, at::TensorOptions().dtype(at::kDouble));
  theta = theta / theta.norm(2, {0}, /*keepdim=*/true);
  const at::Tensor pa = a.matmul(theta), pb = b.matmul(theta);  // [n, P], [m, P]
  double total = 0.0;
  for (int64_t k = 0; k < projections; ++k) {
    total += std::pow(wasserstein_1d(pa.select(1, k), pb.select(1, k), p), p);
  }
  return std::pow(total / projections, 1.0 / p);
}

}  // namespace hold
