#include "hold/data/toy_dataset.h"

#include <ATen/ATen.h>

#include <cmath>

#include "hold/core/error.h"

namespace hold {
namespace {

class MixtureDataset : public ToyDataset {
 public:
  explicit MixtureDataset(GaussianMixture mixture) : mixture_(std::move(mixture)) {}
  at::Tensor sample(int64_t n, at::Generator gen) const override { return mixture_.sample(n, gen, at::kFloat); }
  LabelledData sample_labelled(int64_t n, at::Generator gen) const override {
    GaussianMixture::Labelled d = mixture_.sample_labelled(n, gen, at::kFloat);
    return {d.x, d.component};
  }
  int64_t num_classes() const override { return mixture_.num_components(); }
  int64_t dim() const override { return mixture_.dim(); }

 private:
  GaussianMixture mixture_;
};

class SwissRollDataset : public ToyDataset {
 public:
  SwissRollDataset(double noise, double scale) : noise_(noise), scale_(scale) {}

  at::Tensor sample(int64_t n, at::Generator gen) const override { return sample_labelled(n, gen).x; }
  /// The roll index is the label.
  LabelledData sample_labelled(int64_t n, at::Generator gen) const override {
    const auto f64 = at::TensorOptions().dtype(at::kDouble);
    // Draw order (documented in the header): roll index, U, noise.
    const at::Tensor roll = at::randint(5, {n}, gen, at::TensorOptions().dtype(at::kLong));
    const at::Tensor t = 1.5 * M_PI * (1.0 + 2.0 * at::rand({n}, gen, f64));
    const at::Tensor noise = at::randn({n, 2}, gen, f64) * noise_;
    at::Tensor points = at::stack({t * at::cos(t), t * at::sin(t)}, 1) + noise;
    const auto& c = swissroll_centres();
    const at::Tensor centres = at::tensor(std::vector<double>{c[0][0], c[0][1], c[1][0], c[1][1], c[2][0], c[2][1],
                                                              c[3][0], c[3][1], c[4][0], c[4][1]},
                                          f64)
                                   .view({5, 2});
    return {(points * scale_ + centres.index_select(0, roll)).to(at::kFloat), roll};
  }
  int64_t num_classes() const override { return 5; }
  int64_t dim() const override { return 2; }

 private:
  double noise_, scale_;
};

/// FFJORD's checkerboard (documented in the header).
class CheckerboardDataset : public ToyDataset {
 public:
  at::Tensor sample(int64_t n, at::Generator gen) const override {
    const auto f64 = at::TensorOptions().dtype(at::kDouble);
    // Draw order (documented in the header): x₁'s U, x₂'s U, the row pair.
    const at::Tensor x1 = at::rand({n}, gen, f64) * 4.0 - 2.0;
    const at::Tensor u2 = at::rand({n}, gen, f64);
    const at::Tensor pair = at::randint(2, {n}, gen, f64);
    // Column floor(x₁) ∈ {−2, −1, 0, 1}; odd columns are shifted up one row.
    const at::Tensor x2 = u2 - 2.0 * pair + at::remainder(at::floor(x1), 2.0);
    return (at::stack({x1, x2}, 1) * 2.0).to(at::kFloat);
  }
  int64_t dim() const override { return 2; }
};

}  // namespace

std::unique_ptr<ToyDataset> make_checkerboard_dataset() { return std::make_unique<CheckerboardDataset>(); }

double checkerboard_log_prob_inside() { return -std::log(32.0); }

GaussianMixture default_gmm1d_mixture() {
  GaussianMixture m;
  m.weights = {0.3, 0.4, 0.3};
  m.means = {{-0.6}, {0.0}, {0.6}};
  m.stds = {{0.05}, {0.12}, {0.03}};
  return m;
}

const std::array<std::array<double, 2>, 5>& swissroll_centres() {
  static const std::array<std::array<double, 2>, 5> centres{
      {{0.0, 0.0}, {0.8, 0.8}, {0.8, -0.8}, {-0.8, -0.8}, {-0.8, 0.8}}};
  return centres;
}

std::unique_ptr<ToyDataset> make_swissroll_dataset(double noise, double scale) {
  return std::make_unique<SwissRollDataset>(noise, scale);
}

std::unique_ptr<ToyDataset> make_mixture_dataset(const GaussianMixture& mixture) {
  if (mixture.weights.empty())
    throw ConfigError("a mixture data set needs data.weights, data.means and data.stds (data.name)");
  return std::make_unique<MixtureDataset>(mixture);
}

std::unique_ptr<ToyDataset> make_toy_dataset(const DataConfig& config) {
  const DataSet& set = data_set_registry().at(config.name);
  if (set.kind != DataKind::kToy) throw UsageError("data set '" + config.name + "' is not a toy data set (data.name)");
  return set.make_toy(config);
}

}  // namespace hold
