#include "hold/sde/psd_factor.h"

#include <algorithm>
#include <cmath>

namespace hold {

Mat psd_factor(const Mat& p) {
  const int n = p.rows();
  double scale = 0.0;
  for (int i = 0; i < n; ++i) scale = std::max(scale, std::abs(p(i, i)));
  const double tol = 1e-13 * scale;
  Mat l(n, n);
  for (int j = 0; j < n; ++j) {
    double d = p(j, j);
    for (int k = 0; k < j; ++k) d -= l(j, k) * l(j, k);
    if (!(d > tol)) continue;  // column j stays zero
    l(j, j) = std::sqrt(d);
    for (int i = j + 1; i < n; ++i) {
      double s = p(i, j);
      for (int k = 0; k < j; ++k) s -= l(i, k) * l(j, k);
      l(i, j) = s / l(j, j);
    }
  }
  return l;
}

}  // namespace hold
