#pragma once
// NCSN++ (Song et al. 2021, "Score-based generative modeling through SDEs"),
// the image network of CLD-SGM and HOLD: a U-Net of BigGAN (or DDPM) residual
// blocks with FIR resampling, attention at chosen resolutions and a Gaussian
// Fourier embedding of log t.
//
//   u [N, K·C, H, W] ─ conv ─ down: (res, attn?)×blocks, down ─ … ─ middle: res, attn, res
//                      ─ up: (res on cat with the skip)×(blocks+1), attn?, up ─ … ─ GN, SiLU, conv ─ ε̂ [N, C, H, W]
//   t [N] ─ fourier(log t) ─ dense ─ SiLU ─ dense ─ (a bias in every residual block)
//                         (+ a label embedding when class-conditional)
//
// Options mirror the reference's config keys one for one (model.* in the run
// config); the parameter count of a configuration equals the reference's
// (CLD-SGM's models/ncsnpp.py) for the same input channels.
#include <torch/arg.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hold/models/eps_network.h"
#include "hold/models/ncsnpp_choices.h"
#include "hold/models/ncsnpp_layers.h"
#include "hold/models/time_embedding.h"

namespace torch {
namespace nn {
class EmbeddingImpl;
}  // namespace nn
}  // namespace torch

namespace hold {

struct NcsnppOptions {
  /// in_channels: K·C (all blocks of the state); out_channels: C (ε of the
  /// last block); image_size: H = W (the resolutions attention is placed at).
  NcsnppOptions(int64_t in_channels, int64_t out_channels, int64_t image_size)
      : in_channels_(in_channels), out_channels_(out_channels), image_size_(image_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, image_size);
  /// nf: channels at the first resolution.
  TORCH_ARG(int64_t, channels) = 128;
  /// Channel multiplier per resolution (one resolution per entry).
  TORCH_ARG(std::vector<int64_t>, ch_mult) = std::vector<int64_t>{1, 2, 2, 2};
  TORCH_ARG(int64_t, num_res_blocks) = 8;
  TORCH_ARG(std::vector<int64_t>, attn_resolutions) = std::vector<int64_t>{16};
  TORCH_ARG(double, dropout) = 0.1;
  /// DDPM blocks only: resampling layers with a 3×3 convolution.
  TORCH_ARG(bool, resamp_with_conv) = true;
  /// FIR resampling with fir_kernel (else nearest / average pooling).
  TORCH_ARG(bool, fir) = true;
  TORCH_ARG(std::vector<double>, fir_kernel) = std::vector<double>{1, 3, 3, 1};
  /// Residual sums divided by √2.
  TORCH_ARG(bool, skip_rescale) = true;
  /// biggan | ddpm
  TORCH_ARG(ResBlockKind, resblock_type) = ResBlockKind::kBigGan;
  /// Output pyramid: none | output_skip | residual
  TORCH_ARG(OutputPyramid, progressive) = OutputPyramid::kNone;
  /// Input pyramid: none | input_skip | residual
  TORCH_ARG(InputPyramid, progressive_input) = InputPyramid::kResidual;
  /// How input_skip combines: sum | cat
  TORCH_ARG(PyramidCombine, progressive_combine) = PyramidCombine::kSum;
  /// Scale of the last layer of each block (0: ~zero-initialised).
  TORCH_ARG(double, init_scale) = 0.0;
  /// fourier (Gaussian features of log t, 2·channels wide) | sinusoidal
  /// (transformer positions of 1000·t, channels wide).
  TORCH_ARG(TimeEmbeddingKind, embedding) = TimeEmbeddingKind::kFourier;
  TORCH_ARG(double, fourier_scale) = 16.0;
  /// How NIN and attention layers run (the same parameters either way).
  TORCH_ARG(DenseImpl, dense) = DenseImpl::kConv;
  /// Class-conditional (classifier-free guidance): a learnt embedding of the
  /// label (0 … num_classes − 1, and num_classes for ∅) is added to the time
  /// features before the two dense layers; 0: unconditional.
  TORCH_ARG(int64_t, num_classes) = 0;
  /// Seed of the initial weights and the Fourier features.
  TORCH_ARG(uint64_t, seed) = 0;
};

/// Throws c10::Error (TORCH_CHECK) for options the architecture cannot take
/// (an unknown choice, an image size not divisible by 2^(levels−1), …);
/// the config layer checks the same first and names the key.
class NcsnppImpl : public EpsNetwork {
 public:
  explicit NcsnppImpl(const NcsnppOptions& options);
  /// u: [N, K·C, H, W]; t: [N] forward times (> 0). Returns ε̂ [N, C, H, W].
  at::Tensor forward(const at::Tensor& u, const at::Tensor& t) override;
  /// The same given labels [N] (class-conditional networks; undefined: ∅).
  at::Tensor forward_labelled(const at::Tensor& u, const at::Tensor& t, const at::Tensor& labels) override;
  int64_t num_classes() const override { return options.num_classes(); }
  void use_channels_last() override;

  NcsnppOptions options;

 private:
  at::MemoryFormat input_format_ = at::MemoryFormat::Contiguous;
  /// The modules of one resolution, in the order the forward pass uses them.
  struct Level {
    std::vector<ResBlock> down_blocks;
    std::vector<AttnBlock> down_attn;                  // one per down block, or none
    ResBlock down_res{nullptr};                        // to the next resolution (biggan)
    Resample down_plain{nullptr};                      // to the next resolution (ddpm)
    std::shared_ptr<torch::nn::Module> input_pyramid;  // Conv2d (input_skip) or Resample (residual)
    std::vector<ResBlock> up_blocks;
    AttnBlock up_attn{nullptr};
    std::shared_ptr<torch::nn::GroupNormImpl> pyramid_norm;
    std::shared_ptr<torch::nn::Conv2dImpl> pyramid_conv;
    Resample pyramid_up{nullptr};
    ResBlock up_res{nullptr};    // from the previous resolution (biggan)
    Resample up_plain{nullptr};  // (ddpm)
  };

  void build(at::Generator& gen);
  /// Width of the time features (and of a label code added to them): 2·nf
  /// for Fourier features (sin and cos), nf for the sinusoidal embedding.
  int64_t time_feature_width() const;

  TimeEmbedding embed_{nullptr};
  std::shared_ptr<torch::nn::EmbeddingImpl> label_embed_;  // class-conditional only
  std::shared_ptr<torch::nn::LinearImpl> temb0_, temb1_;
  std::shared_ptr<torch::nn::Conv2dImpl> conv_in_;
  std::vector<Level> levels_;
  ResBlock mid0_{nullptr}, mid2_{nullptr};
  AttnBlock mid1_{nullptr};
  std::shared_ptr<torch::nn::GroupNormImpl> out_norm_;
  std::shared_ptr<torch::nn::Conv2dImpl> out_conv_;
};
TORCH_MODULE(Ncsnpp);

}  // namespace hold
