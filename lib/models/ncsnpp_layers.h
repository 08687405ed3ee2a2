#pragma once
// The building blocks of NCSN++ (Song et al. 2021, as used by CLD-SGM and
// HOLD): DDPM-initialised convolutions, NIN (per-pixel dense) layers, FIR
// (StyleGAN2) resampling, self-attention and the BigGAN / DDPM residual blocks.
// Parameter shapes and initialisation follow the reference implementation, so
// that the parameter count of a configuration equals the reference's.
//
// Every module takes the generator that draws its initial weights, so that a
// network is a pure function of its options and the run's seed.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <vector>

namespace torch {
namespace nn {
class Conv2dImpl;
class GroupNormImpl;
class LinearImpl;
}  // namespace nn
}  // namespace torch

namespace hold {

/// DDPM's initialiser: variance scaling with fan_avg, uniform, variance
/// scale / fan_avg (scale 0 means 1e-10: "zero" output layers that still train).
void ddpm_init_(at::Tensor& weight, double scale, at::Generator& gen);

/// Conv2d k×k ("same" padding unless given) with DDPM init and zero bias.
std::shared_ptr<torch::nn::Conv2dImpl> ddpm_conv(int64_t in, int64_t out, int64_t kernel, at::Generator& gen,
                                                 double init_scale = 1.0);
/// Linear with DDPM init and zero bias.
std::shared_ptr<torch::nn::LinearImpl> ddpm_linear(int64_t in, int64_t out, at::Generator& gen);
/// GroupNorm with min(channels / 4, 32) groups and eps 1e-6.
std::shared_ptr<torch::nn::GroupNormImpl> group_norm(int64_t channels);
/// norm(x) in the norm's dtype: under autocast x may be bf16/fp16, and
/// normalisation statistics belong in fp32 (as CUDA autocast's policy).
at::Tensor normalize(torch::nn::GroupNormImpl& norm, const at::Tensor& x);

// ---------------------------------------------------------------- FIR resampling

/// The 2-D FIR filter outer(k, k) / sum(outer(k, k)) · gain, float32.
at::Tensor fir_filter(const std::vector<double>& kernel, double gain);
/// StyleGAN2's upfirdn2d: zero-insertion upsampling by `up`, padding (pad0
/// before, pad1 after, in both dimensions), correlation with the flipped
/// filter, then keeping every `down`-th pixel. x: [N, C, H, W].
at::Tensor upfirdn2d(const at::Tensor& x, const at::Tensor& filter, int64_t up, int64_t down, int64_t pad0,
                     int64_t pad1);
/// ×2 upsampling / ÷2 downsampling with a FIR filter (e.g. (1, 3, 3, 1)).
at::Tensor fir_upsample_2x(const at::Tensor& x, const std::vector<double>& kernel);
at::Tensor fir_downsample_2x(const at::Tensor& x, const std::vector<double>& kernel);
/// Nearest-neighbour ×2 upsampling and 2×2 average pooling.
at::Tensor naive_upsample_2x(const at::Tensor& x);
at::Tensor naive_downsample_2x(const at::Tensor& x);

/// How NIN and attention compute their per-pixel dense layers: as matrix
/// products over [N, C, H·W] (kMatmul) or as 1×1 convolutions (kConv).
enum class DenseImpl { kMatmul, kConv };

/// A 3×3 convolution fused with ×2 FIR up- or downsampling (StyleGAN2's
/// Conv2d with up/down), or a plain one; weight [out, in, 3, 3] and bias.
class ResampleConvImpl : public torch::nn::Module {
 public:
  enum class Mode { kNone, kUp, kDown };
  ResampleConvImpl(int64_t in, int64_t out, Mode mode, std::vector<double> kernel, at::Generator& gen);
  at::Tensor forward(const at::Tensor& x);

  at::Tensor weight, bias;

 private:
  Mode mode_;
  std::vector<double> kernel_;
};
TORCH_MODULE(ResampleConv);

/// A dense layer applied at every pixel: y[n, :, h, w] = Wᵀ x[n, :, h, w] + b,
/// with W [in, out] as in the reference.
class NinImpl : public torch::nn::Module {
 public:
  NinImpl(int64_t in, int64_t out, double init_scale, DenseImpl impl, at::Generator& gen);
  at::Tensor forward(const at::Tensor& x);

  at::Tensor weight, bias;

 private:
  DenseImpl impl_;
};
TORCH_MODULE(Nin);

/// Single-head attention over positions, out[n, :, i] = Σ_j softmax_j(q_i · k_j / √C) v[n, :, j],
/// for q, k, v of shape [N, C, L], through at::scaled_dot_product_attention
/// (flash / memory-efficient kernels on CUDA, a fused one on the CPU).
at::Tensor dot_product_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

/// DDPM's channel self-attention over all pixels, with a residual connection
/// (divided by √2 when skip_rescale).
class AttnBlockImpl : public torch::nn::Module {
 public:
  AttnBlockImpl(int64_t channels, bool skip_rescale, double init_scale, DenseImpl impl, at::Generator& gen);
  at::Tensor forward(const at::Tensor& x);

 private:
  std::shared_ptr<torch::nn::GroupNormImpl> norm_;
  Nin q_{nullptr}, k_{nullptr}, v_{nullptr}, out_{nullptr};
  bool skip_rescale_;
  DenseImpl impl_;
};
TORCH_MODULE(AttnBlock);

/// The ×2 resampling layers between resolutions (and of the pyramids): FIR
/// or nearest / average, with or without a 3×3 convolution.
class ResampleImpl : public torch::nn::Module {
 public:
  enum class Direction { kUp, kDown };
  ResampleImpl(Direction direction, int64_t in, int64_t out, bool with_conv, bool fir, std::vector<double> kernel,
               at::Generator& gen);
  at::Tensor forward(const at::Tensor& x);

 private:
  Direction direction_;
  bool with_conv_, fir_;
  std::vector<double> kernel_;
  ResampleConv fir_conv_{nullptr};
  std::shared_ptr<torch::nn::Conv2dImpl> conv_;
};
TORCH_MODULE(Resample);

struct ResBlockOptions {
  ResBlockOptions(int64_t in, int64_t out) : in_(in), out_(out) {}
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, out);
  /// Width of the time embedding (a per-channel bias after the first conv).
  TORCH_ARG(int64_t, temb_dim) = 0;
  /// BigGAN (resampling inside the block, 1×1-conv shortcut) or DDPM (NIN
  /// shortcut when the width changes; no resampling).
  TORCH_ARG(bool, biggan) = true;
  TORCH_ARG(bool, up) = false;
  TORCH_ARG(bool, down) = false;
  TORCH_ARG(bool, fir) = true;
  TORCH_ARG(std::vector<double>, fir_kernel) = std::vector<double>{1, 3, 3, 1};
  TORCH_ARG(double, dropout) = 0.1;
  TORCH_ARG(bool, skip_rescale) = true;
  TORCH_ARG(double, init_scale) = 0.0;
  TORCH_ARG(DenseImpl, dense) = DenseImpl::kConv;
};

/// GroupNorm → SiLU → (resample) → conv → + dense(SiLU(temb)) → GroupNorm →
/// SiLU → dropout → conv, plus the (resampled, projected) input.
class ResBlockImpl : public torch::nn::Module {
 public:
  ResBlockImpl(const ResBlockOptions& options, at::Generator& gen);
  /// x: [N, in, H, W]; act_temb: SiLU(time embedding) [N, temb_dim].
  at::Tensor forward(const at::Tensor& x, const at::Tensor& act_temb);

  ResBlockOptions options;

 private:
  at::Tensor resample(const at::Tensor& x) const;

  std::shared_ptr<torch::nn::GroupNormImpl> norm0_, norm1_;
  std::shared_ptr<torch::nn::Conv2dImpl> conv0_, conv1_, shortcut_conv_;
  std::shared_ptr<torch::nn::LinearImpl> temb_proj_;
  Nin shortcut_nin_{nullptr};
};
TORCH_MODULE(ResBlock);

}  // namespace hold
