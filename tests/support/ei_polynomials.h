#pragma once
// Shared pieces of the ei coefficient tests: Φ's first column (Φ e_x) and a
// fixed polynomial in b that stands for x̂ in the exactness checks.
#include "hold/sde/mat.h"

namespace hold::test {

/// Φ e_x: the first column of phi as a K×1 matrix.
inline Mat e_x(const Mat& phi) {
  Mat v(phi.rows(), 1);
  for (int r = 0; r < phi.rows(); ++r) v(r, 0) = phi(r, 0);
  return v;
}

/// 0.3 + 0.2 b − 0.05 b² + 0.01 b³ truncated at `degree`.
inline double poly(int degree, double b) {
  const double c[] = {0.3, 0.2, -0.05, 0.01};
  double v = 0.0;
  for (int n = degree; n >= 0; --n) v = v * b + c[n];
  return v;
}

}  // namespace hold::test
