#pragma once
// A square-root factor of a covariance that may be singular: the noise of a
// short step, or of a Gaussian conditioned on some of its coordinates, has
// directions of (numerically) no variance, where a plain Cholesky fails.
#include "hold/sde/mat.h"

namespace hold {

/// Lower-triangular L with L Lᵀ = P for a symmetric positive semidefinite P:
/// Cholesky whose pivots at or below rounding level (relative to the largest
/// diagonal entry) are set to zero with their column (a direction of no
/// variance), so rounding that leaves P slightly indefinite costs nothing.
Mat psd_factor(const Mat& p);

}  // namespace hold
