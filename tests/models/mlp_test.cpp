// The toy MLP and its time embedding (math.md §7).
#include "hold/models/mlp.h"

#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <cmath>

#include "support/allclose.h"

using namespace hold;

namespace {

int64_t parameter_count(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace

TEST_CASE("The MLP maps the whole state and t to eps of the last block", "[models]") {
  const int64_t k = 3, d = 2, hidden = 32, layers = 4, emb = 16;
  Mlp net(MlpOptions(k * d, d).hidden(hidden).layers(layers).embedding(TimeEmbeddingOptions(emb)).seed(7));
  auto u = at::randn({10, k * d});
  auto t = at::rand({10});
  auto out = net->forward(u, t);
  CHECK(out.sizes() == at::IntArrayRef({10, d}));
  // Layers: (K·d + E) → H, (layers − 2) × H → H, H → d, each with a bias.
  const int64_t expected = (k * d + emb) * hidden + hidden + (layers - 2) * (hidden * hidden + hidden) + hidden * d + d;
  CHECK(parameter_count(*net) == expected);
  // Every parameter receives a gradient.
  out.square().sum().backward();
  for (const auto& p : net->named_parameters()) {
    INFO(p.key());
    REQUIRE(p.value().grad().defined());
    CHECK(p.value().grad().abs().sum().item<double>() > 0);
  }
}

TEST_CASE("The MLP's initial weights depend only on its seed", "[models]") {
  auto make = [](uint64_t seed) { return Mlp(MlpOptions(4, 2).hidden(16).seed(seed)); };
  Mlp a = make(3), b = make(3), c = make(4);
  auto pa = a->named_parameters(), pb = b->named_parameters(), pc = c->named_parameters();
  for (const auto& item : pa) {
    INFO(item.key());
    CHECK(at::equal(item.value(), pb[item.key()]));
    CHECK(!at::equal(item.value(), pc[item.key()]));
    // PyTorch's default Linear init: U(±1/sqrt(fan_in)).
    const double bound = 1.0 / std::sqrt(static_cast<double>(item.key().find("fc0") == 0 ? 4 + 64 : 16));
    CHECK(item.value().abs().max().item<double>() <= bound);
  }
  CHECK(at::equal(a->named_buffers()["embed.frequencies"], b->named_buffers()["embed.frequencies"]));
}

TEST_CASE("Time embeddings are sines and cosines of t times fixed frequencies", "[models]") {
  TimeEmbedding sinusoidal(TimeEmbeddingOptions(8).kind(TimeEmbeddingKind::kSinusoidal));
  // ω_i = 1000 · 10000^(−i/3), i = 0..3.
  auto expected_omega = at::tensor({1000.0, 1000.0 / std::cbrt(1e4), 1000.0 / std::cbrt(1e8), 0.1});
  CHECK_ALLCLOSE_REL(sinusoidal->frequencies, expected_omega, 0, 1e-6);
  auto t = at::tensor({0.0f, 0.25f, 1e-3f});
  auto features = sinusoidal->forward(t);
  REQUIRE(features.sizes() == at::IntArrayRef({3, 8}));
  auto arg = at::outer(t.to(at::kDouble), expected_omega);
  CHECK_ALLCLOSE(features, at::cat({arg.sin(), arg.cos()}, 1), 2e-4);

  // Fourier: ω = 2π W, W ~ N(0, 16²); n = 512 frequencies, the sample std of
  // W has relative SE 1/sqrt(2n) = 3 %; 5 SE.
  TimeEmbedding fourier(TimeEmbeddingOptions(1024).fourier_scale(16.0).seed(2));
  const double w_std = fourier->frequencies.std().item<double>() / (2 * M_PI);
  CHECK(std::abs(w_std / 16.0 - 1) < 5 * 0.031);
}
