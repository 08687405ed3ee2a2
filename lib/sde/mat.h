#pragma once
// Mat: the small dense float64 matrices of the K×K algebra (math.md §1).
// All kernel mathematics runs on the host in double precision on these; only
// the resulting coefficients ever touch the float32 data tensors. Storage is a
// fixed-capacity array so that the per-sample kernels of training cost no heap
// allocation.
#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

namespace hold {

/// Largest number of blocks K (and of rows/columns of a Mat) supported.
constexpr int kMaxBlocks = 8;

class Mat {
 public:
  Mat() = default;
  /// A rows × cols matrix of zeros (rows, cols ≤ kMaxBlocks).
  Mat(int rows, int cols);
  static Mat zeros(int n) { return Mat(n, n); }
  static Mat identity(int n);
  static Mat diag(const std::vector<double>& values);
  /// Mat::from_rows({{1, 2}, {3, 4}}).
  static Mat from_rows(std::initializer_list<std::initializer_list<double>> rows);

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  double& operator()(int i, int j) { return a_[i * kMaxBlocks + j]; }
  double operator()(int i, int j) const { return a_[i * kMaxBlocks + j]; }

  Mat transpose() const;
  /// (A + Aᵀ)/2.
  Mat symmetrized() const;
  /// Induced 1-norm: the largest absolute column sum.
  double norm1() const;
  double max_abs() const;
  std::vector<double> diagonal() const;
  double trace() const;
  /// Row-major values, rows()*cols() of them.
  std::vector<double> to_vector() const;
  std::vector<std::vector<double>> to_rows() const;
  std::string to_string(int precision = 6) const;

  Mat& operator+=(const Mat& o);
  Mat& operator-=(const Mat& o);
  Mat& operator*=(double s);

 private:
  int rows_ = 0;
  int cols_ = 0;
  std::array<double, static_cast<std::size_t>(kMaxBlocks) * kMaxBlocks> a_{};
};

Mat operator+(Mat a, const Mat& b);
Mat operator-(Mat a, const Mat& b);
Mat operator*(Mat a, double s);
Mat operator*(double s, Mat a);
Mat operator*(const Mat& a, const Mat& b);

/// a * b * aᵀ (the congruence that propagates a covariance).
Mat congruence(const Mat& a, const Mat& b);

/// Lower Cholesky factor of a symmetric positive definite matrix; returns false
/// (and leaves *out unspecified) when a pivot is not positive.
bool try_cholesky(const Mat& a, Mat* out);

/// Inverse by Gauss–Jordan elimination with partial pivoting; false if singular.
bool try_inverse(const Mat& a, Mat* out);

/// Lower-triangular L with L Lᵀ = A₁A₁ᵀ + A₂A₂ᵀ (both n × n), computed in
/// square-root form: Lᵀ is R of a Householder QR of [A₁ A₂]ᵀ with the signs
/// fixed so that diag(L) ≥ 0 (math.md §3). Never forms the sum.
Mat lower_factor_of_sum(const Mat& a1, const Mat& a2);

/// Σ solving F Σ + Σ Fᵀ + D = 0 (the stationary covariance of du = F u + G dW);
/// false if F is not Hurwitz-stable enough for a unique solution.
bool try_solve_lyapunov(const Mat& f, const Mat& d, Mat* sigma);

/// Coefficients (highest degree first, leading 1) of the monic polynomial with
/// the given real roots.
std::vector<double> poly_from_roots(const std::vector<double>& roots);

/// Eigenvalues of a general real matrix (unsymmetric QR iteration), as
/// (real, imag) pairs sorted by real part, descending.
std::vector<std::pair<double, double>> eigenvalues(const Mat& a);

}  // namespace hold
