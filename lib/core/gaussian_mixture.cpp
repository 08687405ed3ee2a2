#include "hold/core/gaussian_mixture.h"

#include <ATen/ATen.h>

#include <cmath>
#include <sstream>

#include "hold/core/error.h"
#include "hold/core/format.h"

namespace hold {
namespace {

void require(bool ok, const std::string& what, const std::string& where) {
  if (!ok) throw ConfigError(what + " (" + where + ")");
}

/// Rows of equal length as a [rows, cols] float64 tensor.
at::Tensor to_tensor(const std::vector<std::vector<double>>& rows) {
  const int64_t r = static_cast<int64_t>(rows.size());
  const int64_t c = static_cast<int64_t>(rows[0].size());
  auto out = at::empty({r, c}, at::kDouble);
  auto acc = out.accessor<double, 2>();
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) acc[i][j] = rows[i][j];
  return out;
}

/// log π_j with the weights normalised: [J] float64.
at::Tensor log_weights(const std::vector<double>& weights) {
  auto w = at::tensor(weights, at::kDouble);
  return (w / w.sum()).log();
}

}  // namespace

void GaussianMixture::validate(const std::string& where) const {
  const std::string w_key = where + ".weights", m_key = where + ".means", s_key = where + ".stds";
  require(!weights.empty(), "the mixture needs at least one component", w_key);
  require(means.size() == weights.size(),
          "expected " + std::to_string(weights.size()) + " means (one per weight), got " + std::to_string(means.size()),
          m_key);
  require(stds.size() == weights.size(),
          "expected " + std::to_string(weights.size()) + " stds (one per weight), got " + std::to_string(stds.size()),
          s_key);
  const size_t d = means[0].size();
  require(d >= 1, "each mean needs at least one coordinate", m_key);
  for (size_t j = 0; j < weights.size(); ++j) {
    const std::string at_j = " (component " + std::to_string(j) + ")";
    require(std::isfinite(weights[j]) && weights[j] > 0, "every weight must be positive, got " + fmt(weights[j]) + at_j,
            w_key);
    require(means[j].size() == d,
            "every mean must have " + std::to_string(d) + " coordinates, got " + std::to_string(means[j].size()) + at_j,
            m_key);
    require(stds[j].size() == d,
            "every std must have " + std::to_string(d) + " coordinates (one per mean coordinate), got " +
                std::to_string(stds[j].size()) + at_j,
            s_key);
    for (size_t i = 0; i < d; ++i) {
      require(std::isfinite(means[j][i]), "every mean must be finite, got " + fmt(means[j][i]) + at_j, m_key);
      require(std::isfinite(stds[j][i]) && stds[j][i] > 0, "every std must be positive, got " + fmt(stds[j][i]) + at_j,
              s_key);
    }
  }
}

at::Tensor GaussianMixture::sample(int64_t n, at::Generator gen, at::ScalarType dtype) const {
  return sample_labelled(n, gen, dtype).x;
}

GaussianMixture::Labelled GaussianMixture::sample_labelled(int64_t n, at::Generator gen, at::ScalarType dtype) const {
  validate("mixture");
  // Draw order: the component of every sample, then the standard normals.
  auto probs = at::tensor(weights, at::kDouble);
  auto component = at::multinomial(probs / probs.sum(), n, /*replacement=*/true, gen);
  auto z = at::normal(0.0, 1.0, {n, dim()}, gen, at::TensorOptions().dtype(at::kDouble));
  auto x = to_tensor(means).index_select(0, component) + to_tensor(stds).index_select(0, component) * z;
  return {x.to(dtype), component};
}

GaussianMixture GaussianMixture::component(int j) const {
  TORCH_CHECK(j >= 0 && j < num_components(), "GaussianMixture::component: no component ", j);
  GaussianMixture c;
  c.weights = {1.0};
  c.means = {means[j]};
  c.stds = {stds[j]};
  return c;
}

at::Tensor GaussianMixture::log_prob(const at::Tensor& x) const {
  validate("mixture");
  TORCH_CHECK(x.dim() == 2 && x.size(1) == dim(), "GaussianMixture::log_prob: expected x of shape [n, ", dim(),
              "], got ", x.sizes());
  auto x64 = x.to(at::kDouble).unsqueeze(1);  // [n, 1, d]
  auto m = to_tensor(means).unsqueeze(0);     // [1, J, d]
  auto s = to_tensor(stds).unsqueeze(0);
  auto z = (x64 - m) / s;  // [n, J, d]
  auto log_comp = -0.5 * z.pow(2).sum(2) - s.log().sum(2) - 0.5 * dim() * std::log(2.0 * M_PI);
  return at::logsumexp(log_comp + log_weights(weights).unsqueeze(0), 1);
}

}  // namespace hold
