#pragma once
// Toy data sets for CPU-sized runs, behind one small interface. All draw from
// the run's generator only and return float32 [n, d].
//
//   gmm        any axis-aligned Gaussian mixture (DataConfig::mixture), drawn by
//              GaussianMixture::sample.
//   gmm1d      the 1-D three-mode mixture of default_gmm1d_mixture() (unless
//              the config gives another 1-D mixture).
//   swissroll  the 2-D "multi swiss roll": five rolls centred at (0, 0),
//              (0.8, 0.8), (0.8, −0.8), (−0.8, −0.8), (−0.8, 0.8), the roll
//              picked uniformly. Each roll is the 2-D projection of
//              scikit-learn's make_swiss_roll: t = 1.5π (1 + 2U), U ~ U(0, 1),
//              point (t cos t, t sin t) + N(0, noise²) per coordinate, then the
//              point is multiplied by `scale` and shifted by the roll's centre.
//              With the defaults (noise 0.2, scale 0.01) t ≤ 4.5π gives a roll
//              radius ≤ 0.1414 (+ noise of std 2e-3), so the rolls are well apart.
//              Draw order from gen: roll indices [n], then U [n], then noise [n, 2].
//   checkerboard  FFJORD's 2-D checkerboard (also the seed of high-order DSM,
//              math.md §11): a 4×4 board of 2×2 cells over [−4, 4]², 8 of them
//              filled alternately, uniform inside. Drawn as FFJORD does:
//              x₁ = 4U₁ − 2, x₂ = U₂ − 2B + (⌊x₁⌋ mod 2), B ∈ {0, 1} fair,
//              then (x₁, x₂)·2: the cells with ⌊x₁/2⌋ + ⌊x₂/2⌋ even. Density 1/32 on the filled cells: log p = −log 32,
//              an entropy of log(32)/2 = 1.733 nats/dim. Draw order: U₁ [n], U₂ [n], B [n].
//
// Class labels (sample_labelled; hold-train's classifier objective): the
// component of a gmm/gmm1d sample, the roll index of a swiss-roll sample;
// the checkerboard has none.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hold/core/gaussian_mixture.h"
#include "hold/data/data_config.h"

namespace hold {

/// Data points with their class labels (issue 14: classifier training).
struct LabelledData {
  at::Tensor x;       ///< float32 [n, d]
  at::Tensor labels;  ///< int64 [n] in [0, num_classes()), undefined for a set without classes
};

class ToyDataset {
 public:
  virtual ~ToyDataset() = default;
  /// n i.i.d. samples, float32 [n, dim()] on the CPU.
  virtual at::Tensor sample(int64_t n, at::Generator gen) const = 0;
  /// The same draws (the same x from the same generator state) with their
  /// labels: the component of a mixture, the roll of the swiss roll.
  virtual LabelledData sample_labelled(int64_t n, at::Generator gen) const { return {sample(n, gen), {}}; }
  /// Number of classes of sample_labelled's labels (0: the set has none).
  virtual int64_t num_classes() const { return 0; }
  /// Data dimension d.
  virtual int64_t dim() const = 0;
};

/// The data set a validated config names (swissroll | gmm1d | gmm).
/// Throws ConfigError for an unknown name (data.name).
/// The toy data set of a resolved `data:` section (data_set_registry()).
std::unique_ptr<ToyDataset> make_toy_dataset(const DataConfig& config);
/// The multi swiss roll and a Gaussian mixture (the registry's entries).
std::unique_ptr<ToyDataset> make_swissroll_dataset(double noise, double scale);
std::unique_ptr<ToyDataset> make_mixture_dataset(const GaussianMixture& mixture);
/// FFJORD's checkerboard (above).
std::unique_ptr<ToyDataset> make_checkerboard_dataset();
/// log p of the checkerboard on its filled cells (−log 32; −∞ elsewhere).
double checkerboard_log_prob_inside();

/// Names accepted by make_toy_dataset, for messages and --help.

/// The default 1-D mixture of `gmm1d`: weights (.3, .4, .3), means (−0.6, 0, 0.6),
/// stds (0.05, 0.12, 0.03).
GaussianMixture default_gmm1d_mixture();

/// Centres of the five swiss rolls, in the order of the roll index.
const std::array<std::array<double, 2>, 5>& swissroll_centres();

}  // namespace hold
