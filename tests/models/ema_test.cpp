// EMA of the weights (math.md §7).
#include "hold/models/ema.h"

#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <stdexcept>

#include "hold/models/mlp.h"
#include "support/allclose.h"

using namespace hold;

namespace {

Mlp small_mlp(uint64_t seed) { return Mlp(MlpOptions(3, 1).hidden(8).layers(3).seed(seed)); }

void set_all(torch::nn::Module& m, double value) {
  at::NoGradGuard no_grad;
  for (auto& p : m.parameters()) p.fill_(value);
}

}  // namespace

TEST_CASE("EMA follows shadow <- decay * shadow + (1 - decay) * theta", "[models]") {
  Mlp net = small_mlp(1);
  std::vector<at::Tensor> initial;
  for (const auto& p : net->parameters()) initial.push_back(p.detach().clone());
  Ema ema(*net, 0.9);
  REQUIRE(ema.names().size() == initial.size());
  CHECK(ema.names()[0] == net->named_parameters().keys()[0]);

  set_all(*net, 1.0);
  ema.update();
  set_all(*net, 2.0);
  ema.update();
  // 0.81 θ₀ + 0.09 · 1 + 0.1 · 2
  for (size_t i = 0; i < initial.size(); ++i) {
    CHECK_ALLCLOSE(ema.shadow()[i], initial[i] * 0.81 + 0.09 + 0.2, 1e-6);
  }

  // copy_to writes the shadow into a network of the same architecture.
  Mlp other = small_mlp(2);
  ema.copy_to(*other);
  auto other_params = other->parameters();
  for (size_t i = 0; i < initial.size(); ++i) CHECK(at::equal(other_params[i], ema.shadow()[i]));
  // copy_from resets the shadow to a network's weights.
  ema.copy_from(*net);
  for (const auto& s : ema.shadow()) CHECK_ALLCLOSE(s, at::full_like(s, 2.0), 0);
}

TEST_CASE("EMA rejects bad decays and unknown or misshapen shadow entries", "[models]") {
  Mlp net = small_mlp(1);
  CHECK_THROWS_AS(Ema(*net, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(Ema(*net, -0.1), std::invalid_argument);
  Ema ema(*net, 0.5);
  CHECK_THROWS_AS(ema.set_shadow("nope", at::zeros({1})), std::invalid_argument);
  CHECK_THROWS_AS(ema.set_shadow(ema.names()[0], at::zeros({1})), std::invalid_argument);
  ema.set_shadow(ema.names()[0], at::zeros_like(ema.shadow()[0]));
  CHECK(ema.shadow()[0].abs().sum().item<double>() == 0.0);
  // decay 0: the shadow is the latest weights.
  Ema latest(*net, 0.0);
  set_all(*net, 3.0);
  latest.update();
  for (const auto& s : latest.shadow()) CHECK_ALLCLOSE(s, at::full_like(s, 3.0), 0);
}
