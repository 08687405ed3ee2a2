#include "hold/models/ncsnpp_layers.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <cmath>

namespace hold {
namespace {

const double kInvSqrt2 = 1.0 / std::sqrt(2.0);

/// Python's floor division (the reference's padding formulas use it).
int64_t floordiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

at::Tensor residual(const at::Tensor& x, const at::Tensor& h, bool skip_rescale) {
  return skip_rescale ? (x + h) * kInvSqrt2 : x + h;
}

}  // namespace

void ddpm_init_(at::Tensor& weight, double scale, at::Generator& gen) {
  if (scale == 0) scale = 1e-10;
  // Fans of a [out, in, kh, kw] conv, [out, in] linear or [in, out] NIN weight:
  // fan_avg is symmetric in the two leading dimensions.
  const double receptive = static_cast<double>(weight.numel()) / static_cast<double>(weight.size(0) * weight.size(1));
  const double fan_avg = 0.5 * static_cast<double>(weight.size(0) + weight.size(1)) * receptive;
  const double bound = std::sqrt(3.0 * scale / fan_avg);
  at::NoGradGuard no_grad;
  weight.uniform_(-bound, bound, gen);
}

std::shared_ptr<torch::nn::Conv2dImpl> ddpm_conv(int64_t in, int64_t out, int64_t kernel, at::Generator& gen,
                                                 double init_scale) {
  auto conv =
      std::make_shared<torch::nn::Conv2dImpl>(torch::nn::Conv2dOptions(in, out, kernel).padding(kernel / 2).bias(true));
  ddpm_init_(conv->weight, init_scale, gen);
  at::NoGradGuard no_grad;
  conv->bias.zero_();
  return conv;
}

std::shared_ptr<torch::nn::LinearImpl> ddpm_linear(int64_t in, int64_t out, at::Generator& gen) {
  auto linear = std::make_shared<torch::nn::LinearImpl>(torch::nn::LinearOptions(in, out));
  ddpm_init_(linear->weight, 1.0, gen);
  at::NoGradGuard no_grad;
  linear->bias.zero_();
  return linear;
}

std::shared_ptr<torch::nn::GroupNormImpl> group_norm(int64_t channels) {
  return std::make_shared<torch::nn::GroupNormImpl>(
      torch::nn::GroupNormOptions(std::min<int64_t>(channels / 4, 32), channels).eps(1e-6));
}

at::Tensor normalize(torch::nn::GroupNormImpl& norm, const at::Tensor& x) {
  return norm.forward(x.to(norm.weight.scalar_type()));
}

// ---------------------------------------------------------------- FIR resampling

at::Tensor fir_filter(const std::vector<double>& kernel, double gain) {
  const auto k = at::tensor(kernel, at::kDouble);
  const auto k2 = at::outer(k, k);
  return (k2 / k2.sum() * gain).to(at::kFloat);
}

at::Tensor upfirdn2d(const at::Tensor& x, const at::Tensor& filter, int64_t up, int64_t down, int64_t pad0,
                     int64_t pad1) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  at::Tensor y = x;
  if (up > 1) {
    // Zero insertion: every pixel followed by up − 1 zeros in both directions.
    y = at::zeros({n, c, h, up, w, up}, x.options());
    y.select(5, 0).select(3, 0).copy_(x);
    y = y.view({n, c, h * up, w * up});
  }
  y = at::constant_pad_nd(y, {pad0, pad1, pad0, pad1}, 0);
  // A depthwise correlation with the flipped filter is the convolution.
  const auto f = filter.flip({0, 1}).to(x.options()).view({1, 1, filter.size(0), filter.size(1)});
  y = at::conv2d(y, f.expand({c, 1, filter.size(0), filter.size(1)}), at::Tensor(), at::IntArrayRef({down, down}),
                 at::IntArrayRef({0, 0}), at::IntArrayRef({1, 1}), c);
  return y;
}

at::Tensor fir_upsample_2x(const at::Tensor& x, const std::vector<double>& kernel) {
  const auto f = fir_filter(kernel, 4.0);  // gain·factor²
  const int64_t p = f.size(0) - 2;
  return upfirdn2d(x, f, 2, 1, floordiv(p + 1, 2) + 1, floordiv(p, 2));
}

at::Tensor fir_downsample_2x(const at::Tensor& x, const std::vector<double>& kernel) {
  const auto f = fir_filter(kernel, 1.0);
  const int64_t p = f.size(0) - 2;
  return upfirdn2d(x, f, 1, 2, floordiv(p + 1, 2), floordiv(p, 2));
}

at::Tensor naive_upsample_2x(const at::Tensor& x) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  return x.view({n, c, h, 1, w, 1}).expand({n, c, h, 2, w, 2}).reshape({n, c, 2 * h, 2 * w});
}

at::Tensor naive_downsample_2x(const at::Tensor& x) { return at::avg_pool2d(x, {2, 2}, {2, 2}); }

// ---------------------------------------------------------------- ResampleConv

ResampleConvImpl::ResampleConvImpl(int64_t in, int64_t out, Mode mode, std::vector<double> kernel, at::Generator& gen)
    : mode_(mode), kernel_(std::move(kernel)) {
  weight = register_parameter("weight", at::empty({out, in, 3, 3}));
  bias = register_parameter("bias", at::zeros({out}));
  ddpm_init_(weight, 1.0, gen);
}

at::Tensor ResampleConvImpl::forward(const at::Tensor& x) {
  const int64_t taps = static_cast<int64_t>(kernel_.size());
  at::Tensor y;
  if (mode_ == Mode::kUp) {
    // Transposed stride-2 convolution, then the FIR filter (StyleGAN2's fused
    // upsample_conv_2d: padding once, before the filter).
    const auto w = weight.flip({2, 3}).transpose(0, 1);  // [in, out, 3, 3]
    y = at::conv_transpose2d(x, w, at::Tensor(), at::IntArrayRef({2, 2}));
    const int64_t p = (taps - 2) - 2;
    y = upfirdn2d(y, fir_filter(kernel_, 4.0), 1, 1, floordiv(p + 1, 2) + 1, floordiv(p, 2) + 1);
  } else if (mode_ == Mode::kDown) {
    const int64_t p = (taps - 2) + 2;
    y = upfirdn2d(x, fir_filter(kernel_, 1.0), 1, 1, floordiv(p + 1, 2), floordiv(p, 2));
    y = at::conv2d(y, weight, at::Tensor(), at::IntArrayRef({2, 2}));
  } else {
    y = at::conv2d(x, weight, at::Tensor(), at::IntArrayRef({1, 1}), at::IntArrayRef({1, 1}));
  }
  return y + bias.view({1, -1, 1, 1});
}

// ---------------------------------------------------------------- NIN, attention

NinImpl::NinImpl(int64_t in, int64_t out, double init_scale, DenseImpl impl, at::Generator& gen) : impl_(impl) {
  weight = register_parameter("W", at::empty({in, out}));
  bias = register_parameter("b", at::zeros({out}));
  ddpm_init_(weight, init_scale, gen);
}

/// Wᵀ x + b at every pixel for a weight [in, out] and x [N, in, H, W].
at::Tensor dense_per_pixel(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, DenseImpl impl) {
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3), out = weight.size(1);
  if (impl == DenseImpl::kConv) {
    return at::conv2d(x, weight.t().reshape({out, weight.size(0), 1, 1}), bias);
  }
  // [out, in] · [N, in, HW] → [N, out, HW]: one GEMM per sample, no permutes.
  const auto y = at::matmul(weight.t(), x.reshape({n, x.size(1), h * w}));
  return (y + bias.view({1, out, 1})).view({n, out, h, w});
}

at::Tensor NinImpl::forward(const at::Tensor& x) { return dense_per_pixel(x, weight, bias, impl_); }

AttnBlockImpl::AttnBlockImpl(int64_t channels, bool skip_rescale, double init_scale, DenseImpl impl, at::Generator& gen)
    : skip_rescale_(skip_rescale), impl_(impl) {
  norm_ = register_module("GroupNorm_0", group_norm(channels));
  q_ = register_module("NIN_0", Nin(channels, channels, 0.1, impl, gen));
  k_ = register_module("NIN_1", Nin(channels, channels, 0.1, impl, gen));
  v_ = register_module("NIN_2", Nin(channels, channels, 0.1, impl, gen));
  out_ = register_module("NIN_3", Nin(channels, channels, init_scale, impl, gen));
}

at::Tensor AttnBlockImpl::forward(const at::Tensor& x) {
  const int64_t n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
  const auto h = normalize(*norm_, x);
  // q, k and v in one dense layer (same parameters as three).
  const auto w_qkv = at::cat({q_->weight, k_->weight, v_->weight}, 1);
  const auto b_qkv = at::cat({q_->bias, k_->bias, v_->bias}, 0);
  const auto qkv = dense_per_pixel(h, w_qkv, b_qkv, impl_).view({n, 3, c, hw});
  const auto q = qkv.select(1, 0), k = qkv.select(1, 1), v = qkv.select(1, 2);
  const auto attended = dot_product_attention(q, k, v).reshape(x.sizes());
  return residual(x, out_->forward(attended), skip_rescale_);
}

at::Tensor dot_product_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  // One head: [N, C, L] → [N, 1, L, C], SDPA's layout. Its default scale is 1/√C.
  auto heads = [](const at::Tensor& t) { return t.transpose(1, 2).unsqueeze(1); };
  return at::scaled_dot_product_attention(heads(q), heads(k), heads(v)).squeeze(1).transpose(1, 2);
}

// ---------------------------------------------------------------- resampling layers

ResampleImpl::ResampleImpl(Direction direction, int64_t in, int64_t out, bool with_conv, bool fir,
                           std::vector<double> kernel, at::Generator& gen)
    : direction_(direction), with_conv_(with_conv), fir_(fir), kernel_(std::move(kernel)) {
  const bool up = direction_ == Direction::kUp;
  if (!with_conv_) return;
  if (fir_) {
    const auto mode = up ? ResampleConvImpl::Mode::kUp : ResampleConvImpl::Mode::kDown;
    fir_conv_ = register_module("Conv2d_0", ResampleConv(in, out, mode, kernel_, gen));
  } else if (up) {
    conv_ = register_module("Conv_0", ddpm_conv(in, out, 3, gen));
  } else {
    // Stride 2 after padding (0, 1, 0, 1), as the reference.
    conv_ = register_module(
        "Conv_0", std::make_shared<torch::nn::Conv2dImpl>(torch::nn::Conv2dOptions(in, out, 3).stride(2).bias(true)));
    ddpm_init_(conv_->weight, 1.0, gen);
    at::NoGradGuard no_grad;
    conv_->bias.zero_();
  }
}

at::Tensor ResampleImpl::forward(const at::Tensor& x) {
  const bool up = direction_ == Direction::kUp;
  if (fir_ && with_conv_) return fir_conv_->forward(x);
  if (fir_) return up ? fir_upsample_2x(x, kernel_) : fir_downsample_2x(x, kernel_);
  if (up) {
    const auto h = naive_upsample_2x(x);
    return with_conv_ ? conv_->forward(h) : h;
  }
  return with_conv_ ? conv_->forward(at::constant_pad_nd(x, {0, 1, 0, 1}, 0)) : naive_downsample_2x(x);
}

// ---------------------------------------------------------------- residual blocks

ResBlockImpl::ResBlockImpl(const ResBlockOptions& options_, at::Generator& gen) : options(options_) {
  const auto& o = options;
  TORCH_CHECK(o.biggan() || (!o.up() && !o.down()), "ResBlock: only BigGAN blocks resample");
  norm0_ = register_module("GroupNorm_0", group_norm(o.in()));
  conv0_ = register_module("Conv_0", ddpm_conv(o.in(), o.out(), 3, gen));
  if (o.temb_dim() > 0) temb_proj_ = register_module("Dense_0", ddpm_linear(o.temb_dim(), o.out(), gen));
  norm1_ = register_module("GroupNorm_1", group_norm(o.out()));
  conv1_ = register_module("Conv_1", ddpm_conv(o.out(), o.out(), 3, gen, o.init_scale()));
  if (o.biggan() && (o.in() != o.out() || o.up() || o.down())) {
    shortcut_conv_ = register_module("Conv_2", ddpm_conv(o.in(), o.out(), 1, gen));
  } else if (!o.biggan() && o.in() != o.out()) {
    shortcut_nin_ = register_module("NIN_0", Nin(o.in(), o.out(), 0.1, o.dense(), gen));
  }
}

at::Tensor ResBlockImpl::resample(const at::Tensor& x) const {
  if (options.up()) return options.fir() ? fir_upsample_2x(x, options.fir_kernel()) : naive_upsample_2x(x);
  if (options.down()) return options.fir() ? fir_downsample_2x(x, options.fir_kernel()) : naive_downsample_2x(x);
  return x;
}

at::Tensor ResBlockImpl::forward(const at::Tensor& x, const at::Tensor& act_temb) {
  auto h = resample(at::silu(normalize(*norm0_, x)));
  h = conv0_->forward(h);
  if (temb_proj_) h = h + temb_proj_->forward(act_temb).unsqueeze(-1).unsqueeze(-1);
  h = at::silu(normalize(*norm1_, h));
  h = at::dropout(h, options.dropout(), is_training());
  h = conv1_->forward(h);
  auto skip = resample(x);
  if (shortcut_conv_) skip = shortcut_conv_->forward(skip);
  if (shortcut_nin_) skip = shortcut_nin_->forward(skip);
  return residual(skip, h, options.skip_rescale());
}

}  // namespace hold
