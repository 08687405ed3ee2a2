// Energy and Wasserstein distances against hand-computed values and their
// defining properties.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "hold/metrics/sample_distance.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {
namespace {

at::Tensor values(std::vector<double> v) { return at::tensor(v, at::kDouble); }

}  // namespace

TEST_CASE("energy distance of small 1-D sets matches the hand computation", "[metrics]") {
  // V-statistics. X = {0, 1}, Y = {2}: E|X−Y| = (2 + 1)/2 = 1.5,
  // E|X−X'| = (0 + 1 + 1 + 0)/4 = 0.5, E|Y−Y'| = 0 → 1.5 − 0.25 = 1.25.
  CHECK(energy_distance(values({0, 1}), values({2})) == Approx(1.25).margin(1e-15));
  // X = {0, 2}, Y = {1, 3}: E|X−Y| = (1 + 3 + 1 + 1)/4 = 1.5, E|X−X'| = E|Y−Y'| = 1 → 0.5.
  CHECK(energy_distance(values({0, 2}), values({1, 3})) == Approx(0.5).margin(1e-15));
  // Single points: the distance itself.
  CHECK(energy_distance(values({0}), values({-3})) == Approx(3).margin(1e-15));
}

TEST_CASE("energy distance is zero for equal sets, symmetric, and grows with a shift", "[metrics]") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  const at::Tensor x = at::randn({500, 2}, gen, at::kFloat);
  const at::Tensor y = at::randn({400, 2}, gen, at::kFloat);
  CHECK(energy_distance(x, x) == 0.0);
  const at::Tensor shuffled = x.index_select(0, at::randperm(500, gen, at::TensorOptions().dtype(at::kLong)));
  CHECK(std::fabs(energy_distance(x, shuffled)) < 1e-12);
  const double xy = energy_distance(x, y);
  CHECK(xy == Approx(energy_distance(y, x)).margin(1e-12));
  CHECK(xy >= 0);
  // Chunking changes nothing but the summation order.
  CHECK(energy_distance(x, y, /*chunk=*/37) == Approx(xy).margin(1e-12));
  const at::Tensor shift = at::tensor(std::vector<float>{1.0f, 0.0f});
  const double small = energy_distance(x, y + 0.25 * shift), large = energy_distance(x, y + shift);
  CHECK(xy < small);
  CHECK(small < large);
  // For a large shift c: E|X−Y| ≈ c and E|X−X'| ≈ E|Y−Y'| ≈ √π (2-D standard
  // normals); the sampling error of these means is ~0.03.
  CHECK(energy_distance(x, y + 100 * shift) == Approx(100 - std::sqrt(M_PI)).margin(0.15));
}

TEST_CASE("1-D Wasserstein matches the quantile-function integral", "[metrics]") {
  // a = {0, 1}, b = {0.5, 1.5, 2.5}: ∫|F_a⁻¹ − F_b⁻¹| = 0.5/3 + 1.5/6 + 0.5/6 + 1.5/3 = 1.
  CHECK(wasserstein_1d(values({1, 0}), values({2.5, 0.5, 1.5}), 1.0) == Approx(1.0).margin(1e-15));
  // A translation by c moves every quantile by c: W_p = |c| for every p.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  const at::Tensor a = at::randn({300}, gen, at::kDouble);
  CHECK(wasserstein_1d(a, a + 0.3, 2.0) == Approx(0.3).margin(1e-12));
  CHECK(wasserstein_1d(a, a - 0.7, 1.0) == Approx(0.7).margin(1e-12));
  CHECK(wasserstein_1d(a, a) == 0.0);
}

TEST_CASE("sliced Wasserstein reduces to 1-D Wasserstein in one dimension", "[metrics]") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const at::Tensor a = at::randn({200, 1}, gen, at::kDouble), b = at::randn({150, 1}, gen, at::kDouble) + 0.2;
  CHECK(sliced_wasserstein(a, b, gen, 8) == Approx(wasserstein_1d(a, b)).margin(1e-12));
  const at::Tensor x = at::randn({100, 3}, gen, at::kDouble);
  CHECK(sliced_wasserstein(x, x, gen) == 0.0);
}

}  // namespace hold
