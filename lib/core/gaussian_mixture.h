#pragma once
// A mixture of axis-aligned Gaussians Σ_j π_j N(m_j, diag(s_j²)) in R^d: the
// toy data sets (1-D three-mode mixture, 2-D five-mode mixture) and the
// distribution the exact oracle (math.md §6) is built for.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace hold {

struct GaussianMixture {
  std::vector<double> weights;             ///< π_j, positive, normalised on validate
  std::vector<std::vector<double>> means;  ///< m_j, each of length d
  std::vector<std::vector<double>> stds;   ///< s_j, each of length d (per-coordinate std)

  int dim() const { return means.empty() ? 0 : static_cast<int>(means[0].size()); }
  int num_components() const { return static_cast<int>(weights.size()); }
  /// Throws ConfigError naming `<where>.weights|means|stds` on bad shapes or values.
  void validate(const std::string& where) const;
  /// n samples, [n, d] float32 (or dtype).
  at::Tensor sample(int64_t n, at::Generator gen, at::ScalarType dtype = at::kFloat) const;
  /// The same draws with the component of every sample (int64 [n]): the
  /// class labels of a mixture data set (issue 14). x equals sample()'s.
  struct Labelled {
    at::Tensor x;
    at::Tensor component;
  };
  Labelled sample_labelled(int64_t n, at::Generator gen, at::ScalarType dtype = at::kFloat) const;
  /// Component j alone (weight 1): the class-conditional law of class j.
  GaussianMixture component(int j) const;
  /// Exact log-density of x [n, d]: [n] float64.
  at::Tensor log_prob(const at::Tensor& x) const;
};

}  // namespace hold
