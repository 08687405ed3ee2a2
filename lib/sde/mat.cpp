#include "hold/sde/mat.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace hold {

Mat::Mat(int rows, int cols) : rows_(rows), cols_(cols) {
  if (rows < 0 || cols < 0 || rows > kMaxBlocks || cols > kMaxBlocks) {
    throw std::invalid_argument("Mat: size " + std::to_string(rows) + "x" + std::to_string(cols) +
                                " exceeds the supported " + std::to_string(kMaxBlocks));
  }
}

Mat Mat::identity(int n) {
  Mat m(n, n);
  for (int i = 0; i < n; ++i) m(i, i) = 1.0;
  return m;
}

Mat Mat::diag(const std::vector<double>& values) {
  const int n = static_cast<int>(values.size());
  Mat m(n, n);
  for (int i = 0; i < n; ++i) m(i, i) = values[i];
  return m;
}

Mat Mat::from_rows(std::initializer_list<std::initializer_list<double>> rows) {
  const int r = static_cast<int>(rows.size());
  const int c = r ? static_cast<int>(rows.begin()->size()) : 0;
  Mat m(r, c);
  int i = 0;
  for (const auto& row : rows) {
    if (static_cast<int>(row.size()) != c) throw std::invalid_argument("Mat::from_rows: ragged rows");
    int j = 0;
    for (double v : row) m(i, j++) = v;
    ++i;
  }
  return m;
}

Mat Mat::transpose() const {
  Mat t(cols_, rows_);
  for (int i = 0; i < rows_; ++i)
    for (int j = 0; j < cols_; ++j) t(j, i) = (*this)(i, j);
  return t;
}

Mat Mat::symmetrized() const {
  Mat s(rows_, cols_);
  for (int i = 0; i < rows_; ++i)
    for (int j = 0; j < cols_; ++j) s(i, j) = 0.5 * ((*this)(i, j) + (*this)(j, i));
  return s;
}

double Mat::norm1() const {
  double best = 0.0;
  for (int j = 0; j < cols_; ++j) {
    double col = 0.0;
    for (int i = 0; i < rows_; ++i) col += std::abs((*this)(i, j));
    best = std::max(best, col);
  }
  return best;
}

double Mat::max_abs() const {
  double best = 0.0;
  for (int i = 0; i < rows_; ++i)
    for (int j = 0; j < cols_; ++j) best = std::max(best, std::abs((*this)(i, j)));
  return best;
}

double Mat::trace() const {
  double sum = 0.0;
  for (int i = 0; i < std::min(rows_, cols_); ++i) sum += (*this)(i, i);
  return sum;
}

std::vector<double> Mat::diagonal() const {
  std::vector<double> d(std::min(rows_, cols_));
  for (size_t i = 0; i < d.size(); ++i) d[i] = (*this)(i, i);
  return d;
}

std::vector<double> Mat::to_vector() const {
  std::vector<double> v;
  v.reserve(static_cast<size_t>(rows_) * cols_);
  for (int i = 0; i < rows_; ++i)
    for (int j = 0; j < cols_; ++j) v.push_back((*this)(i, j));
  return v;
}

std::vector<std::vector<double>> Mat::to_rows() const {
  std::vector<std::vector<double>> r(rows_, std::vector<double>(cols_));
  for (int i = 0; i < rows_; ++i)
    for (int j = 0; j < cols_; ++j) r[i][j] = (*this)(i, j);
  return r;
}

std::string Mat::to_string(int precision) const {
  std::ostringstream os;
  os.precision(precision);
  os << "[";
  for (int i = 0; i < rows_; ++i) {
    os << (i ? ", [" : "[");
    for (int j = 0; j < cols_; ++j) os << (j ? ", " : "") << ((*this)(i, j) + 0.0);  // no "-0"
    os << "]";
  }
  os << "]";
  return os.str();
}

Mat& Mat::operator+=(const Mat& o) {
  for (int i = 0; i < rows_; ++i)
    for (int j = 0; j < cols_; ++j) (*this)(i, j) += o(i, j);
  return *this;
}

Mat& Mat::operator-=(const Mat& o) {
  for (int i = 0; i < rows_; ++i)
    for (int j = 0; j < cols_; ++j) (*this)(i, j) -= o(i, j);
  return *this;
}

Mat& Mat::operator*=(double s) {
  for (int i = 0; i < rows_; ++i)
    for (int j = 0; j < cols_; ++j) (*this)(i, j) *= s;
  return *this;
}

Mat operator+(Mat a, const Mat& b) { return a += b; }
Mat operator-(Mat a, const Mat& b) { return a -= b; }
Mat operator*(Mat a, double s) { return a *= s; }
Mat operator*(double s, Mat a) { return a *= s; }

Mat operator*(const Mat& a, const Mat& b) {
  Mat c(a.rows(), b.cols());
  for (int i = 0; i < a.rows(); ++i)
    for (int k = 0; k < a.cols(); ++k) {
      const double aik = a(i, k);
      if (aik == 0.0) continue;
      for (int j = 0; j < b.cols(); ++j) c(i, j) += aik * b(k, j);
    }
  return c;
}

Mat congruence(const Mat& a, const Mat& b) { return (a * b * a.transpose()).symmetrized(); }

bool try_cholesky(const Mat& a, Mat* out) {
  const int n = a.rows();
  Mat l(n, n);
  for (int j = 0; j < n; ++j) {
    double diag = a(j, j);
    for (int k = 0; k < j; ++k) diag -= l(j, k) * l(j, k);
    if (!(diag > 0.0) || !std::isfinite(diag)) return false;
    l(j, j) = std::sqrt(diag);
    for (int i = j + 1; i < n; ++i) {
      double v = a(i, j);
      for (int k = 0; k < j; ++k) v -= l(i, k) * l(j, k);
      l(i, j) = v / l(j, j);
    }
  }
  *out = l;
  return true;
}

bool try_inverse(const Mat& a, Mat* out) {
  const int n = a.rows();
  Mat m = a;
  Mat inv = Mat::identity(n);
  for (int c = 0; c < n; ++c) {
    int pivot = c;
    for (int r = c + 1; r < n; ++r)
      if (std::abs(m(r, c)) > std::abs(m(pivot, c))) pivot = r;
    if (m(pivot, c) == 0.0 || !std::isfinite(m(pivot, c))) return false;
    for (int j = 0; j < n; ++j) {
      std::swap(m(c, j), m(pivot, j));
      std::swap(inv(c, j), inv(pivot, j));
    }
    const double p = m(c, c);
    for (int j = 0; j < n; ++j) {
      m(c, j) /= p;
      inv(c, j) /= p;
    }
    for (int r = 0; r < n; ++r) {
      if (r == c || m(r, c) == 0.0) continue;
      const double f = m(r, c);
      for (int j = 0; j < n; ++j) {
        m(r, j) -= f * m(c, j);
        inv(r, j) -= f * inv(c, j);
      }
    }
  }
  *out = inv;
  return true;
}

Mat lower_factor_of_sum(const Mat& a1, const Mat& a2) {
  // Householder QR of M = [A₁ A₂]ᵀ (2n × n); then Mᵀ M = R ᵀR = A₁A₁ᵀ + A₂A₂ᵀ.
  const int n = a1.rows();
  const int m = 2 * n;
  double w[2 * kMaxBlocks][kMaxBlocks];
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      w[i][j] = a1(j, i);
      w[n + i][j] = a2(j, i);
    }
  double v[2 * kMaxBlocks];
  for (int k = 0; k < n; ++k) {
    // Column norm as a plain sum of squares: the entries of the kernels' factors
    // lie far inside double's range (|w| in [1e-60, 1e60]), so hypot's
    // overflow guard is not needed, and it is the hot loop of training.
    double sum_sq = 0.0;
    for (int i = k; i < m; ++i) sum_sq += w[i][k] * w[i][k];
    const double norm = std::sqrt(sum_sq);
    if (norm == 0.0) continue;
    const double alpha = w[k][k] > 0 ? -norm : norm;
    for (int i = k; i < m; ++i) v[i] = w[i][k];
    v[k] -= alpha;
    double vnorm2 = 0.0;
    for (int i = k; i < m; ++i) vnorm2 += v[i] * v[i];
    if (vnorm2 == 0.0) continue;
    for (int j = k; j < n; ++j) {
      double dot = 0.0;
      for (int i = k; i < m; ++i) dot += v[i] * w[i][j];
      const double f = 2.0 * dot / vnorm2;
      for (int i = k; i < m; ++i) w[i][j] -= f * v[i];
    }
  }
  Mat l(n, n);
  for (int i = 0; i < n; ++i) {
    const double sign = w[i][i] < 0 ? -1.0 : 1.0;  // fix signs: diag(L) ≥ 0
    for (int j = i; j < n; ++j) l(j, i) = sign * w[i][j];
  }
  return l;
}

bool try_solve_lyapunov(const Mat& f, const Mat& d, Mat* sigma) {
  // Vectorise: (I ⊗ F + F ⊗ I) vec(Σ) = −vec(D), solved by Gaussian elimination
  // with partial pivoting on the K² × K² system.
  const int n = f.rows();
  const int nn = n * n;
  std::vector<double> a(static_cast<size_t>(nn) * nn, 0.0), rhs(nn);
  auto idx = [n](int i, int j) { return i * n + j; };
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const int row = idx(i, j);
      rhs[row] = -d(i, j);
      for (int k = 0; k < n; ++k) {
        a[row * nn + idx(k, j)] += f(i, k);  // (F Σ)_ij
        a[row * nn + idx(i, k)] += f(j, k);  // (Σ Fᵀ)_ij
      }
    }
  for (int c = 0; c < nn; ++c) {
    int pivot = c;
    for (int r = c + 1; r < nn; ++r)
      if (std::abs(a[r * nn + c]) > std::abs(a[pivot * nn + c])) pivot = r;
    if (std::abs(a[pivot * nn + c]) < 1e-300) return false;
    if (pivot != c) {
      for (int j = 0; j < nn; ++j) std::swap(a[c * nn + j], a[pivot * nn + j]);
      std::swap(rhs[c], rhs[pivot]);
    }
    for (int r = c + 1; r < nn; ++r) {
      const double factor = a[r * nn + c] / a[c * nn + c];
      if (factor == 0.0) continue;
      for (int j = c; j < nn; ++j) a[r * nn + j] -= factor * a[c * nn + j];
      rhs[r] -= factor * rhs[c];
    }
  }
  std::vector<double> x(nn);
  for (int r = nn - 1; r >= 0; --r) {
    double v = rhs[r];
    for (int j = r + 1; j < nn; ++j) v -= a[r * nn + j] * x[j];
    x[r] = v / a[r * nn + r];
  }
  Mat s(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) s(i, j) = x[idx(i, j)];
  *sigma = s.symmetrized();
  return true;
}

std::vector<double> poly_from_roots(const std::vector<double>& roots) {
  std::vector<double> c{1.0};
  for (double r : roots) {
    std::vector<double> next(c.size() + 1, 0.0);
    for (size_t i = 0; i < c.size(); ++i) {
      next[i] += c[i];
      next[i + 1] -= r * c[i];
    }
    c = next;
  }
  return c;
}

std::vector<std::pair<double, double>> eigenvalues(const Mat& a) {
  const int n = a.rows();
  auto t = at::empty({n, n}, at::kDouble);
  auto acc = t.accessor<double, 2>();
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) acc[i][j] = a(i, j);
  auto ev = at::linalg_eigvals(t);
  auto re = at::real(ev).contiguous();
  auto im = at::imag(ev).contiguous();
  std::vector<std::pair<double, double>> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) out.emplace_back(re[i].item<double>(), im[i].item<double>());
  std::sort(out.begin(), out.end(),
            [](const auto& x, const auto& y) { return x.first != y.first ? x.first > y.first : x.second > y.second; });
  return out;
}

}  // namespace hold
