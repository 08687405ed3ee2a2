// The pieces of the GPU path that run on any device, tested on the CPU:
// the fused Adam step against the written-out update (and its on-device skip),
// the masked EMA, the on-device loss scaler, the device-typed autocast scope,
// SDPA attention against its formula, device generators, channels_last
// layouts kept through FlatParameters. Tests tagged [.cuda] run only where a
// GPU is visible (scripts/gpu_check.sh runs them: hold_tests "[cuda]").
#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "hold/core/seeds.h"
#include "hold/models/ema.h"
#include "hold/models/mlp.h"
#include "hold/models/ncsnpp.h"
#include "hold/models/ncsnpp_layers.h"
#include "hold/train/adam.h"
#include "hold/train/flat_parameters.h"
#include "hold/train/mixed_precision.h"
#include "support/allclose.h"

using namespace hold;

namespace {

/// Adam's update written out in float64 (Kingma & Ba, torch.optim.Adam's form).
struct ReferenceAdam {
  at::Tensor theta, m, v;
  int64_t t = 0;
  void step(const at::Tensor& g, double lr, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8) {
    ++t;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
    theta = theta - (lr / bc1) * m / (v.sqrt() / std::sqrt(bc2) + eps);
  }
};

bool gpu_visible() { return at::hasCUDA() && at::detail::getCUDAHooks().getNumGPUs() > 0; }

at::Tensor explicit_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(1)));
  const auto w = at::softmax(at::bmm(q.transpose(1, 2), k) * scale, -1);  // [N, L, L]
  return at::bmm(v, w.transpose(1, 2));
}

}  // namespace

TEST_CASE("Fused Adam equals the written-out update to float rounding", "[train][gpu-path]") {
  auto gen = make_generator(11);
  const int64_t n = 1000;
  at::Tensor params = at::randn({n}, gen), grads = at::zeros({n});
  Adam adam(params, grads);
  ReferenceAdam ref{params.to(at::kDouble), at::zeros({n}, at::kDouble), at::zeros({n}, at::kDouble)};
  for (int step = 1; step <= 20; ++step) {
    const double lr = 1e-2 * std::min(1.0, step / 5.0);
    const auto g = at::randn({n}, gen) * (step % 3 + 1);
    grads.copy_(g);
    adam.step(lr);
    ref.step(g.to(at::kDouble), lr);
  }
  CHECK(adam.steps() == 20);
  // float32 arithmetic over 20 steps of size ≤ 1e-2: rounding is ~1e-7 relative.
  CHECK_ALLCLOSE(params, ref.theta.to(at::kFloat), 2e-6);
  CHECK_ALLCLOSE(adam.exp_avg(), ref.m.to(at::kFloat), 1e-6);
}

TEST_CASE("A skipped fused Adam step changes neither weights, moments nor the step count", "[train][gpu-path]") {
  auto gen = make_generator(12);
  at::Tensor a = at::randn({64}, gen), ga = at::zeros({64});
  at::Tensor b = a.clone(), gb = at::zeros({64});
  Adam skipping(a, ga), plain(b, gb);
  const auto skip = at::ones({}), take = at::zeros({});
  for (int step = 0; step < 6; ++step) {
    const auto g = at::randn({64}, gen);
    ga.copy_(g);
    gb.copy_(g);
    skipping.step(1e-2, take);
    plain.step(1e-2);
    // A non-finite gradient on the skipped step must not leak in either.
    ga.fill_(std::numeric_limits<float>::quiet_NaN());
    skipping.step(1e-2, skip);
  }
  CHECK(skipping.steps() == 6);
  CHECK(at::equal(a, b));
  CHECK(at::equal(skipping.exp_avg(), plain.exp_avg()));
  CHECK(at::equal(skipping.exp_avg_sq(), plain.exp_avg_sq()));
}

TEST_CASE("The masked EMA holds on skipped steps and follows the decay otherwise", "[train][gpu-path]") {
  Mlp net(MlpOptions(4, 2).hidden(8).layers(2).seed(3));
  FlatParameters flat(*net);
  Ema ema(*net, 0.9);
  REQUIRE(ema.is_flat());
  const auto before = ema.shadow()[0].clone();
  at::NoGradGuard no_grad;
  flat.values().add_(1.0);
  ema.update(at::ones({}));  // skipped
  CHECK(at::equal(ema.shadow()[0], before));
  ema.update(at::zeros({}));  // taken: 0.9 shadow + 0.1 θ, θ = before + 1
  CHECK_ALLCLOSE(ema.shadow()[0], before + 0.1, 1e-6);
}

TEST_CASE("Gradient clipping reads nothing back and scales to the limit", "[train][gpu-path]") {
  Mlp net(MlpOptions(4, 2).hidden(8).layers(2).seed(3));
  FlatParameters flat(*net);
  flat.grads().copy_(at::full_like(flat.grads(), 0.5));
  const double norm = 0.5 * std::sqrt(static_cast<double>(flat.grads().numel()));
  const at::Tensor before = flat.clip_grad_norm(2 * norm);  // under the limit: unchanged
  CHECK(before.dim() == 0);
  CHECK(before.item<double>() == Approx(norm).epsilon(1e-6));
  CHECK(at::equal(flat.grads(), at::full_like(flat.grads(), 0.5)));
  flat.clip_grad_norm(norm / 2);
  CHECK(flat.grads().norm().item<double>() == Approx(norm / 2).epsilon(1e-5));
}

TEST_CASE("The loss scaler unscales, flags overflow and moves the scale on the device", "[train][gpu-path]") {
  LossScaler scaler(/*enabled=*/true, at::kCPU, /*initial_scale=*/1024.0, /*growth_interval=*/2);
  auto grads = at::full({8}, 1024.0f);
  CHECK(scaler.scale_loss(at::ones({})).item<double>() == 1024.0);
  at::Tensor overflow = scaler.unscale_and_update(grads);
  CHECK(overflow.item<double>() == 0.0);
  CHECK(at::equal(grads, at::ones({8})));
  CHECK(scaler.scale().item<double>() == 1024.0);
  scaler.unscale_and_update(at::ones({8}));  // a second finite step: growth
  CHECK(scaler.scale().item<double>() == 2048.0);
  auto bad = at::ones({8});
  bad[3] = std::numeric_limits<float>::infinity();
  overflow = scaler.unscale_and_update(bad);
  CHECK(overflow.item<double>() == 1.0);
  CHECK(scaler.scale().item<double>() == 1024.0);  // halved
  LossScaler off(/*enabled=*/false, at::kCPU);
  CHECK(!off.unscale_and_update(grads).defined());
}

TEST_CASE("The autocast scope uses the device-typed API and restores the state", "[train][gpu-path]") {
  REQUIRE(!at::autocast::is_autocast_enabled(at::kCPU));
  const auto dtype_before = at::autocast::get_autocast_dtype(at::kCPU);
  {
    AutocastScope outer(at::kCPU, at::kBFloat16);
    CHECK(at::autocast::is_autocast_enabled(at::kCPU));
    CHECK(at::autocast::get_autocast_dtype(at::kCPU) == at::kBFloat16);
    CHECK(at::mm(at::randn({4, 4}), at::randn({4, 4})).scalar_type() == at::kBFloat16);
    { AutocastScope none(at::kCPU, c10::ScalarType::Undefined); }  // fp32: a no-op
    CHECK(at::autocast::is_autocast_enabled(at::kCPU));
  }
  CHECK(!at::autocast::is_autocast_enabled(at::kCPU));
  CHECK(at::autocast::get_autocast_dtype(at::kCPU) == dtype_before);
  CHECK(at::mm(at::randn({4, 4}), at::randn({4, 4})).scalar_type() == at::kFloat);
}

TEST_CASE("SDPA attention equals softmax(q^T k / sqrt(C)) v", "[models][gpu-path]") {
  auto gen = make_generator(21);
  for (const auto dtype : {at::kDouble, at::kFloat}) {
    const auto opts = at::TensorOptions().dtype(dtype);
    const auto q = at::randn({3, 16, 20}, gen, opts), k = at::randn({3, 16, 20}, gen, opts),
               v = at::randn({3, 16, 20}, gen, opts);
    const auto out = dot_product_attention(q, k, v);
    REQUIRE(out.sizes() == q.sizes());
    CHECK_ALLCLOSE(out, explicit_attention(q, k, v), dtype == at::kDouble ? 1e-12 : 1e-5);
  }
}

TEST_CASE("Generators: the same seed draws the same numbers, streams draw apart", "[core][gpu-path]") {
  const auto a = at::randn({16}, make_generator(derived_seed(7, 3)));
  const auto b = at::randn({16}, derived_generator(7, 3));
  const auto c = at::randn({16}, derived_generator(7, 3, /*stream=*/1));
  CHECK(at::equal(a, b));
  CHECK(!at::equal(a, c));
  // A generator's state restores its sequence (what a checkpoint relies on).
  auto gen = make_generator(9);
  at::randn({5}, gen);
  const auto state = gen.get_state();
  const auto next = at::randn({5}, gen);
  gen.set_state(state);
  CHECK(at::equal(at::randn({5}, gen), next));
}

TEST_CASE("channels_last NCSN++ computes what the contiguous one does, and FlatParameters keeps its layout",
          "[models][gpu-path]") {
  const auto options = NcsnppOptions(6, 3, 8)
                           .channels(8)
                           .ch_mult({1, 2})
                           .num_res_blocks(1)
                           .attn_resolutions({4})
                           .init_scale(1.0)
                           .dropout(0.0);
  Ncsnpp plain(options), nhwc(options);
  nhwc->use_channels_last();
  FlatParameters flat(*nhwc);
  Ema ema(*nhwc, 0.99);
  CHECK(ema.is_flat());
  int64_t four_d = 0;
  for (const auto& p : nhwc->parameters()) {
    if (p.dim() != 4 || p.size(1) == 1) continue;
    ++four_d;
    CHECK(p.is_contiguous(at::MemoryFormat::ChannelsLast));
    CHECK(p.grad().is_contiguous(at::MemoryFormat::ChannelsLast));
  }
  CHECK(four_d > 0);
  const auto u = at::randn({2, 6, 8, 8}, make_generator(4));
  const auto t = at::tensor({0.2f, 0.7f});
  at::NoGradGuard no_grad;
  CHECK_ALLCLOSE(nhwc->forward(u, t), plain->forward(u, t), 1e-5);
}

TEST_CASE("CUDA: tensors, generators and the network land on the GPU", "[.cuda]") {
  REQUIRE(gpu_visible());
  const c10::Device gpu(c10::kCUDA, 0);
  auto gen = make_generator(5, gpu);
  CHECK(gen.device().is_cuda());
  const auto z = at::randn({1000}, gen, at::TensorOptions().device(gpu));
  CHECK(z.is_cuda());
  // Same seed, same device: the same numbers; a restored state replays them.
  CHECK(at::equal(z, at::randn({1000}, make_generator(5, gpu), at::TensorOptions().device(gpu))));
  const auto state = gen.get_state();
  const auto next = at::randn({8}, gen, at::TensorOptions().device(gpu));
  gen.set_state(state);
  CHECK(at::equal(at::randn({8}, gen, at::TensorOptions().device(gpu)), next));
}

TEST_CASE("CUDA: SDPA equals the explicit formula on the GPU", "[.cuda]") {
  REQUIRE(gpu_visible());
  const auto opts = at::TensorOptions().device(at::kCUDA);
  const auto q = at::randn({4, 64, 256}, opts), k = at::randn({4, 64, 256}, opts), v = at::randn({4, 64, 256}, opts);
  CHECK_ALLCLOSE(dot_product_attention(q, k, v).cpu(), explicit_attention(q, k, v).cpu(), 1e-4);
  const auto qb = q.to(at::kBFloat16), kb = k.to(at::kBFloat16), vb = v.to(at::kBFloat16);
  CHECK_ALLCLOSE(dot_product_attention(qb, kb, vb).to(at::kFloat).cpu(), explicit_attention(q, k, v).cpu(), 5e-2);
}

TEST_CASE("CUDA: bf16 and fp16 autocast with the loss scaler", "[.cuda]") {
  REQUIRE(gpu_visible());
  const c10::Device gpu(c10::kCUDA, 0);
  Ncsnpp net(NcsnppOptions(6, 3, 8).channels(8).ch_mult({1, 2}).num_res_blocks(1).attn_resolutions({4}).dropout(0.0));
  net->to(gpu);
  const auto u = at::randn({2, 6, 8, 8}, at::TensorOptions().device(gpu));
  const auto t = at::tensor({0.2f, 0.7f}, at::TensorOptions().device(gpu));
  const auto exact = net->forward(u, t).detach();
  for (const auto dtype : {at::kBFloat16, at::kHalf}) {
    at::Tensor out;
    {
      AutocastScope scope(gpu, dtype);
      out = net->forward(u, t);
    }
    CHECK(out.scalar_type() == dtype);
    const double rel = ((out.to(at::kFloat) - exact).norm() / exact.norm()).item<double>();
    CHECK(rel < 0.05);
  }
  LossScaler scaler(true, gpu, 1024.0, 2);
  auto grads = at::full({8}, 1024.0f, at::TensorOptions().device(gpu));
  CHECK(scaler.unscale_and_update(grads).item<double>() == 0.0);
  CHECK(at::equal(grads.cpu(), at::ones({8})));
  grads[0] = std::numeric_limits<float>::infinity();
  CHECK(scaler.unscale_and_update(grads).item<double>() == 1.0);
  CHECK(scaler.scale().item<double>() == 512.0);
}

TEST_CASE("CUDA: fused Adam on the GPU equals the CPU step", "[.cuda]") {
  REQUIRE(gpu_visible());
  auto gen = make_generator(3);
  const auto p0 = at::randn({4096}, gen);
  at::Tensor pc = p0.clone(), gc = at::zeros({4096});
  at::Tensor pg = p0.cuda(), gg = at::zeros({4096}, at::TensorOptions().device(at::kCUDA));
  Adam cpu(pc, gc), gpu(pg, gg);
  for (int i = 0; i < 10; ++i) {
    const auto g = at::randn({4096}, gen);
    gc.copy_(g);
    gg.copy_(g);
    cpu.step(1e-3);
    gpu.step(1e-3, at::zeros({}, at::TensorOptions().device(at::kCUDA)));
  }
  CHECK_ALLCLOSE(pg.cpu(), pc, 1e-6);
}
