#pragma once
// Tensor comparison for tests (style.md §5.8): reports the largest |a − b| and
// where it occurs, so a failing check says which element and by how much.
//   REQUIRE_ALLCLOSE(actual, expected, /*atol=*/1e-10);
//   CHECK_ALLCLOSE_REL(actual, expected, /*atol=*/0, /*rtol=*/1e-8);
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

namespace hold::test {

struct CloseReport {
  bool ok = true;
  double max_abs = 0.0;       ///< max |a − b|
  double worst_excess = 0.0;  ///< max of |a − b| − (atol + rtol |b|)
  std::string message;        ///< shapes, the worst element's index and values
};

/// Elementwise |a − b| ≤ atol + rtol |b| (compared in float64; shapes must match).
inline CloseReport allclose(const at::Tensor& a, const at::Tensor& b, double atol, double rtol = 0.0) {
  CloseReport r;
  std::ostringstream os;
  if (a.sizes() != b.sizes()) {
    r.ok = false;
    os << "shape mismatch: " << a.sizes() << " vs " << b.sizes();
    r.message = os.str();
    return r;
  }
  auto a64 = a.detach().to(at::kCPU, at::kDouble).contiguous().reshape({-1});
  auto b64 = b.detach().to(at::kCPU, at::kDouble).contiguous().reshape({-1});
  if (a64.numel() == 0) return r;
  auto diff = (a64 - b64).abs();
  auto excess = diff - (b64.abs() * rtol + atol);
  // NaN anywhere is a failure: make it the worst element.
  excess = at::where(diff.isnan(), at::full_like(excess, INFINITY), excess);
  const int64_t worst = excess.argmax().item<int64_t>();
  r.max_abs = diff.max().item<double>();
  r.worst_excess = excess[worst].item<double>();
  r.ok = r.worst_excess <= 0.0;
  // The worst element's multi-index.
  std::vector<int64_t> index(a.dim());
  int64_t flat = worst;
  for (int64_t d = a.dim() - 1; d >= 0; --d) {
    index[d] = flat % a.size(d);
    flat /= a.size(d);
  }
  os.precision(17);
  os << "max|a-b| = " << r.max_abs << " (atol " << atol << ", rtol " << rtol << "); worst at [";
  for (size_t d = 0; d < index.size(); ++d) os << (d ? ", " : "") << index[d];
  os << "]: a = " << a64[worst].item<double>() << ", b = " << b64[worst].item<double>() << ", shape " << a.sizes();
  r.message = os.str();
  return r;
}

}  // namespace hold::test

#define HOLD_ALLCLOSE_IMPL_(MACRO, a, b, atol, rtol)                    \
  do {                                                                  \
    const auto hold_report_ = ::hold::test::allclose(a, b, atol, rtol); \
    INFO(#a " vs " #b ": " << hold_report_.message);                    \
    MACRO(hold_report_.ok);                                             \
  } while (false)

#define REQUIRE_ALLCLOSE(a, b, atol) HOLD_ALLCLOSE_IMPL_(REQUIRE, a, b, atol, 0.0)
#define CHECK_ALLCLOSE(a, b, atol) HOLD_ALLCLOSE_IMPL_(CHECK, a, b, atol, 0.0)
#define REQUIRE_ALLCLOSE_REL(a, b, atol, rtol) HOLD_ALLCLOSE_IMPL_(REQUIRE, a, b, atol, rtol)
#define CHECK_ALLCLOSE_REL(a, b, atol, rtol) HOLD_ALLCLOSE_IMPL_(CHECK, a, b, atol, rtol)
