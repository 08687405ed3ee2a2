// The Fréchet distance (lib/metrics/frechet.h) against closed forms: diagonal
// and commuting covariances give Σ (√a_i − √b_i)² plus the mean term; equal
// statistics give 0; it is symmetric; rank-deficient covariances stay finite.
#include "hold/metrics/frechet.h"

#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>

using namespace hold;

namespace {

at::Tensor random_rotation(int64_t d, int64_t seed) {
  at::manual_seed(seed);
  return std::get<0>(at::linalg_qr(at::randn({d, d}, at::kDouble)));
}

}  // namespace

TEST_CASE("Frechet distance of diagonal Gaussians has its closed form", "[metrics][frechet]") {
  const auto a = at::tensor({0.5, 2.0, 1e-8, 3.0}, at::kDouble), b = at::tensor({1.5, 0.1, 4.0, 3.0}, at::kDouble);
  const auto mu1 = at::tensor({0.0, 1.0, -2.0, 0.5}, at::kDouble), mu2 = at::tensor({1.0, 1.0, 0.0, 0.0}, at::kDouble);
  const double expected =
      (mu1 - mu2).square().sum().item<double>() + (a.sqrt() - b.sqrt()).square().sum().item<double>();
  CHECK(frechet_distance(mu1, at::diag(a), mu2, at::diag(b)) == Approx(expected).epsilon(1e-10));
}

TEST_CASE("Frechet distance of commuting covariances, rotated, has the same closed form", "[metrics][frechet]") {
  const int64_t d = 16;
  const auto q = random_rotation(d, 3);
  const auto a = at::rand({d}, at::kDouble) * 3 + 0.01, b = at::rand({d}, at::kDouble) * 2;
  const auto s1 = at::matmul(q * a.unsqueeze(0), q.t()), s2 = at::matmul(q * b.unsqueeze(0), q.t());
  const auto zero = at::zeros({d}, at::kDouble);
  const double expected = (a.sqrt() - b.sqrt()).square().sum().item<double>();
  CHECK(frechet_distance(zero, s1, zero, s2) == Approx(expected).epsilon(1e-9));
}

TEST_CASE("Frechet distance is 0 for identical sets and symmetric otherwise", "[metrics][frechet]") {
  at::manual_seed(1);
  const auto f1 = at::randn({500, 32}, at::kDouble), f2 = at::randn({400, 32}, at::kDouble) * 1.3 + 0.2;
  const FeatureStats s1 = feature_stats(f1), s2 = feature_stats(f2);
  CHECK(std::abs(frechet_distance(s1, s1)) < 1e-9);
  const double d12 = frechet_distance(s1, s2), d21 = frechet_distance(s2, s1);
  CHECK(d12 > 1.0);
  CHECK(d12 == Approx(d21).epsilon(1e-10));
  // numpy.cov's normalisation (N − 1).
  const auto centred = f1 - f1.mean(0);
  CHECK(at::allclose(s1.sigma, at::matmul(centred.t(), centred) / 499.0));
}

TEST_CASE("Frechet distance of rank-deficient covariances is finite", "[metrics][frechet]") {
  at::manual_seed(2);
  // 5 points in 64 dimensions: covariances of rank 4.
  const FeatureStats s1 = feature_stats(at::randn({5, 64}, at::kDouble));
  const FeatureStats s2 = feature_stats(at::randn({5, 64}, at::kDouble));
  const double d = frechet_distance(s1, s2);
  CHECK(std::isfinite(d));
  CHECK(d > 0);
  CHECK(std::abs(frechet_distance(s1, s1)) < 1e-9);
  // Singular and zero covariances: only the mean term is left for two points masses.
  const auto zero = at::zeros({3, 3}, at::kDouble);
  CHECK(frechet_distance(at::ones({3}, at::kDouble), zero, at::zeros({3}, at::kDouble), zero) == Approx(3.0));
}
