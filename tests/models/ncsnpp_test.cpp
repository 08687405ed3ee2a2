// NCSN++ (lib/models/ncsnpp.h): parameter counts equal the reference
// implementation's (CLD-SGM models/ncsnpp.py; the expected numbers come from a
// transcription of its constructor that counts trainable parameters), FIR
// resampling equals its closed forms, and the two dense implementations agree.
#include "hold/models/ncsnpp.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include "hold/models/factory.h"
#include "support/allclose.h"

using namespace hold;

namespace {

int64_t trainable(const EpsNetwork& net) { return count_parameters(net); }

/// CLD's CIFAR-10 network (ncsnpp, deep) for `in` input channels.
NcsnppOptions cifar10_deep(int64_t in) { return NcsnppOptions(in, 3, 32); }

at::Tensor interior(const at::Tensor& x, int64_t margin) {
  return x.slice(2, margin, x.size(2) - margin).slice(3, margin, x.size(3) - margin);
}

}  // namespace

TEST_CASE("NCSN++ deep for CIFAR-10 has the reference's parameter count", "[models][ncsnpp]") {
  // CLD (x, v: 6 channels in), HOLD (x, v, a: 9 in); 3 channels out.
  CHECK(trainable(*Ncsnpp(cifar10_deep(6))) == 107593859);
  CHECK(trainable(*Ncsnpp(cifar10_deep(9))) == 107600771);
}

TEST_CASE("NCSN++ variants have the reference's parameter counts", "[models][ncsnpp]") {
  // DDPM blocks, output_skip, input_skip with cat, no FIR.
  CHECK(trainable(*Ncsnpp(NcsnppOptions(6, 3, 32)
                              .channels(32)
                              .ch_mult({1, 2, 2})
                              .num_res_blocks(2)
                              .resblock_type(ResBlockKind::kDdpm)
                              .progressive(OutputPyramid::kOutputSkip)
                              .progressive_input(InputPyramid::kInputSkip)
                              .progressive_combine(PyramidCombine::kCat)
                              .fir(false))) == 1723401);
  // Residual pyramids on both sides.
  CHECK(trainable(*Ncsnpp(
            NcsnppOptions(3, 1, 16).channels(16).ch_mult({1, 2}).num_res_blocks(1).attn_resolutions({8}).progressive(
                OutputPyramid::kResidual))) == 204465);
  // CelebA-HQ's pyramid choices (output_skip, input_skip with sum).
  CHECK(trainable(*Ncsnpp(NcsnppOptions(9, 3, 64)
                              .channels(16)
                              .ch_mult({1, 1, 2})
                              .num_res_blocks(2)
                              .progressive(OutputPyramid::kOutputSkip)
                              .progressive_input(InputPyramid::kInputSkip))) == 313705);
}

TEST_CASE("NCSN++ maps [N, K*C, H, W] to eps [N, C, H, W] with finite gradients", "[models][ncsnpp]") {
  for (const auto progressive : {OutputPyramid::kNone, OutputPyramid::kOutputSkip, OutputPyramid::kResidual}) {
    for (const auto input : {InputPyramid::kNone, InputPyramid::kInputSkip, InputPyramid::kResidual}) {
      Ncsnpp net(NcsnppOptions(6, 3, 16)
                     .channels(8)
                     .ch_mult({1, 2})
                     .num_res_blocks(1)
                     .attn_resolutions({8})
                     .progressive(progressive)
                     .progressive_input(input)
                     .init_scale(1.0));
      const auto u = at::randn({2, 6, 16, 16});
      const auto out = net->forward(u, at::tensor({0.01f, 0.7f}));
      INFO(static_cast<int>(progressive) << " / " << static_cast<int>(input));
      REQUIRE(out.sizes() == at::IntArrayRef({2, 3, 16, 16}));
      out.square().mean().backward();
      for (const auto& item : net->named_parameters()) {
        // The reference's quirk, kept: with skip_rescale the "residual" output
        // pyramid is computed but never reaches the output.
        const bool dead = progressive == OutputPyramid::kResidual && item.key().find("_pyramid_") != std::string::npos;
        INFO(item.key());
        REQUIRE(item.value().grad().defined() != dead);
        if (!dead) REQUIRE(at::isfinite(item.value().grad()).all().item<bool>());
      }
    }
  }
}

TEST_CASE("FIR resampling with the box filter is nearest upsampling and average pooling", "[models][ncsnpp]") {
  const auto x = at::randn({2, 3, 8, 8}, at::kDouble).to(at::kFloat);
  REQUIRE_ALLCLOSE(fir_downsample_2x(x, {1, 1}), naive_downsample_2x(x), 1e-6);
  REQUIRE_ALLCLOSE(fir_upsample_2x(x, {1, 1}), naive_upsample_2x(x), 1e-6);
}

TEST_CASE("FIR (1,3,3,1) resampling keeps constants away from the border and halves/doubles the size",
          "[models][ncsnpp]") {
  const auto c = at::full({1, 2, 8, 8}, 0.75f);
  const auto up = fir_upsample_2x(c, {1, 3, 3, 1});
  const auto down = fir_downsample_2x(c, {1, 3, 3, 1});
  REQUIRE(up.sizes() == at::IntArrayRef({1, 2, 16, 16}));
  REQUIRE(down.sizes() == at::IntArrayRef({1, 2, 4, 4}));
  REQUIRE_ALLCLOSE(interior(up, 2), at::full({1, 2, 12, 12}, 0.75f), 1e-6);
  REQUIRE_ALLCLOSE(interior(down, 1), at::full({1, 2, 2, 2}, 0.75f), 1e-6);
}

TEST_CASE("Fused FIR up/down convolutions equal resampling and convolution done apart (interior)", "[models][ncsnpp]") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const std::vector<double> k{1, 3, 3, 1};
  const auto x = at::randn({1, 4, 12, 12});
  at::NoGradGuard no_grad;
  ResampleConv up(4, 5, ResampleConvImpl::Mode::kUp, k, gen);
  ResampleConv down(4, 5, ResampleConvImpl::Mode::kDown, k, gen);
  // Upsample then convolve (padding 1) vs the fused transposed convolution.
  const auto up_apart =
      at::conv2d(fir_upsample_2x(x, k), up->weight, up->bias, at::IntArrayRef({1, 1}), at::IntArrayRef({1, 1}));
  REQUIRE_ALLCLOSE(interior(up->forward(x), 4), interior(up_apart, 4), 1e-5);
  // Convolve then downsample vs the fused strided convolution.
  const auto down_apart =
      fir_downsample_2x(at::conv2d(x, down->weight, at::Tensor(), at::IntArrayRef({1, 1}), at::IntArrayRef({1, 1})),
                        k) +
      down->bias.view({1, -1, 1, 1});
  REQUIRE_ALLCLOSE(interior(down->forward(x), 2), interior(down_apart, 2), 1e-5);
}

TEST_CASE("NCSN++ computes the same with matmul and 1x1-convolution dense layers", "[models][ncsnpp]") {
  const auto options = NcsnppOptions(6, 3, 16)
                           .channels(16)
                           .ch_mult({1, 2})
                           .num_res_blocks(1)
                           .attn_resolutions({8, 16})
                           .init_scale(1.0)
                           .dropout(0.0);
  Ncsnpp a(NcsnppOptions(options).dense(DenseImpl::kMatmul));
  Ncsnpp b(NcsnppOptions(options).dense(DenseImpl::kConv));
  const auto u = at::randn({2, 6, 16, 16});
  const auto t = at::tensor({0.3f, 0.9f});
  at::NoGradGuard no_grad;
  REQUIRE_ALLCLOSE(a->forward(u, t), b->forward(u, t), 1e-5);
}

TEST_CASE("NCSN++ attention equals softmax(q^T k / sqrt(C)) v written out", "[models][ncsnpp]") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  AttnBlock attn(8, /*skip_rescale=*/true, /*init_scale=*/1.0, DenseImpl::kMatmul, gen);
  const auto x = at::randn({2, 8, 4, 4});
  at::NoGradGuard no_grad;
  auto params = attn->named_parameters();
  const auto h = at::group_norm(x, 2, params["GroupNorm_0.weight"], params["GroupNorm_0.bias"], 1e-6);
  auto nin = [&](const std::string& name, const at::Tensor& v) {
    return at::einsum("nchw,cd->ndhw", {v, params[name + ".W"]}) + params[name + ".b"].view({1, -1, 1, 1});
  };
  const auto q = nin("NIN_0", h), k = nin("NIN_1", h), v = nin("NIN_2", h);
  auto w = at::einsum("bchw,bcij->bhwij", {q, k}) / std::sqrt(8.0);
  w = at::softmax(w.reshape({2, 4, 4, 16}), -1).reshape({2, 4, 4, 4, 4});
  const auto out = nin("NIN_3", at::einsum("bhwij,bcij->bchw", {w, v}));
  REQUIRE_ALLCLOSE(attn->forward(x), (x + out) / std::sqrt(2.0), 1e-5);
}
