// metrics/mixture_modes.h: per-mode statistics of samples of a known mixture.
#include "hold/metrics/mixture_modes.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <cmath>

#include "support/five_modes.h"

namespace hold {

TEST_CASE("Samples of the mixture itself have small per-mode errors; scaled modes show it", "[metrics]") {
  GaussianMixture m = test::five_mode_mixture();
  m.validate("test");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const at::Tensor x = m.sample(50000, gen, at::kDouble);
  const MixtureModeReport r = mixture_modes(x, m);
  REQUIRE(r.modes.size() == 5);
  // Standard errors: weight 0.0018, std 0.5 % (10000 samples a mode, 2 coordinates).
  CHECK(r.worst_weight_error < 0.008);
  CHECK(std::abs(r.worst_std_error) < 0.02);
  CHECK(r.worst_mean_error < 0.003);
  // Every sample of mode 0 scaled about its mean by 1.1: its std error is +10 %.
  const at::Tensor nearest = at::cdist(x, test::five_mode_centres()).argmin(1);
  const at::Tensor y = at::where((nearest == 0).unsqueeze(1), x * 1.1, x);
  const MixtureModeReport s = mixture_modes(y, m);
  CHECK(s.modes[0].std_error == Approx((1 + r.modes[0].std_error) * 1.1 - 1).margin(1e-3));
  CHECK(s.worst_std_error == Approx(s.modes[0].std_error));
}

TEST_CASE("Non-finite samples count but belong to no mode", "[metrics]") {
  GaussianMixture m = test::five_mode_mixture();
  m.validate("test");
  at::Tensor x = test::five_mode_centres().repeat({20, 1});  // 100 points, 20 at each centre
  x[0][0] = NAN;
  const MixtureModeReport r = mixture_modes(x, m);
  int64_t total = 0;
  for (const ModeStats& s : r.modes) total += s.count;
  CHECK(total == 99);
  CHECK(r.modes[0].weight == Approx(0.19));
}

}  // namespace hold
