// The flat parameter buffer and the Adam step on it: the same arithmetic as
// torch::optim::Adam, gradients that stay views through backward, clipping.
#include "hold/train/adam.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adam.h>
#include <catch2/catch.hpp>

#include <cmath>

#include "hold/models/ema.h"
#include "hold/models/mlp.h"
#include "hold/train/flat_parameters.h"
#include "support/allclose.h"

using namespace hold;

namespace {

Mlp small_mlp() { return Mlp(MlpOptions(6, 2).hidden(16).layers(3).seed(5)); }

}  // namespace

TEST_CASE("Adam on the flat buffer takes torch::optim::Adam's steps", "[train]") {
  Mlp flat_net = small_mlp(), ref_net = small_mlp();
  FlatParameters flat(*flat_net);
  Adam adam(flat.values(), flat.grads());
  auto ref_params = ref_net->parameters();
  torch::optim::Adam ref(ref_params, torch::optim::AdamOptions(1e-2));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  const auto flat_params = flat_net->parameters();
  for (int step = 1; step <= 6; ++step) {
    const double lr = 1e-2 * std::min(1.0, step / 3.0);  // a warmup, as the trainer does
    static_cast<torch::optim::AdamOptions&>(ref.param_groups()[0].options()).lr(lr);
    for (size_t i = 0; i < ref_params.size(); ++i) {
      auto g = at::normal(0, 1, ref_params[i].sizes(), gen);
      ref_params[i].mutable_grad() = g.clone();
      flat_params[i].grad().copy_(g);
    }
    ref.step();
    adam.step(lr);
  }
  CHECK(adam.steps() == 6);
  for (size_t i = 0; i < ref_params.size(); ++i) CHECK_ALLCLOSE(flat_params[i], ref_params[i], 1e-7);
}

TEST_CASE("Flat parameters keep their gradients as views through backward", "[train]") {
  Mlp net = small_mlp();
  std::vector<at::Tensor> before;
  for (const auto& p : net->parameters()) before.push_back(p.detach().clone());
  FlatParameters flat(*net);
  const auto params = net->parameters();
  int64_t offset = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    CHECK(at::equal(params[i], before[i]));  // values preserved by packing
    CHECK(params[i].data_ptr<float>() == flat.values().data_ptr<float>() + offset);
    offset += params[i].numel();
  }
  CHECK(flat.values().numel() == offset);

  for (int pass = 0; pass < 2; ++pass) {
    flat.zero_grad();
    net->forward(at::randn({8, 6}), at::rand({8})).square().sum().backward();
    offset = 0;
    double sum_sq = 0;
    for (const auto& p : params) {
      CHECK(p.grad().data_ptr<float>() == flat.grads().data_ptr<float>() + offset);
      sum_sq += p.grad().square().sum().item<double>();
      offset += p.numel();
    }
    REQUIRE(sum_sq > 0);
    // The norm of the whole buffer is the global gradient norm; clipping scales to max_norm.
    const double norm = std::sqrt(sum_sq);
    CHECK(flat.clip_grad_norm(0.0).item<double>() == Approx(norm).epsilon(1e-5));
    CHECK(flat.clip_grad_norm(norm / 4).item<double>() == Approx(norm).epsilon(1e-5));
    CHECK(flat.grads().norm().item<double>() == Approx(norm / 4).epsilon(1e-5));
  }
  flat.zero_grad();
  for (const auto& p : params) CHECK(p.grad().abs().sum().item<double>() == 0.0);
}

TEST_CASE("EMA over flat parameters equals EMA over separate ones", "[train]") {
  Mlp packed = small_mlp(), separate = small_mlp();
  FlatParameters flat(*packed);
  Ema ema_flat(*packed, 0.9), ema_separate(*separate, 0.9);
  CHECK(ema_flat.is_flat());
  CHECK(!ema_separate.is_flat());
  auto a = packed->parameters(), b = separate->parameters();
  for (int step = 0; step < 3; ++step) {
    at::NoGradGuard no_grad;
    for (size_t i = 0; i < a.size(); ++i) {
      a[i].add_(0.1 * (step + 1));
      b[i].add_(0.1 * (step + 1));
    }
    ema_flat.update();
    ema_separate.update();
  }
  for (size_t i = 0; i < a.size(); ++i) CHECK(at::equal(ema_flat.shadow()[i], ema_separate.shadow()[i]));
}
