#include "hold/models/ncsnpp.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <algorithm>
#include <cmath>

#include "hold/models/label_embedding.h"

namespace hold {
namespace {

constexpr auto kUp = ResampleImpl::Direction::kUp;
constexpr auto kDown = ResampleImpl::Direction::kDown;

bool contains(const std::vector<int64_t>& v, int64_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

NcsnppImpl::NcsnppImpl(const NcsnppOptions& options_) : options(options_) {
  const auto& o = options;
  TORCH_CHECK(!o.ch_mult().empty() && o.num_res_blocks() >= 1 && o.channels() >= 4, "Ncsnpp: empty network");
  const int64_t levels = static_cast<int64_t>(o.ch_mult().size());
  TORCH_CHECK(o.image_size() % (int64_t{1} << (levels - 1)) == 0, "Ncsnpp: image size ", o.image_size(),
              " is not divisible by 2^", levels - 1);
  TORCH_CHECK(o.num_classes() >= 0, "Ncsnpp: num_classes must be >= 0");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed());
  build(gen);
  if (o.num_classes() > 0) {
    // Its own seed, after everything else: the rest of the weights are those
    // of the unconditional network of the same seed.
    label_embed_ =
        register_module(kLabelEmbeddingName, make_label_embedding(o.num_classes(), time_feature_width(), o.seed() + 2));
  }
}

int64_t NcsnppImpl::time_feature_width() const {
  return options.embedding() == TimeEmbeddingKind::kFourier ? 2 * options.channels() : options.channels();
}

void NcsnppImpl::build(at::Generator& gen) {
  const auto& o = options;
  const int64_t nf = o.channels(), temb_dim = 4 * nf;
  const int64_t num_levels = static_cast<int64_t>(o.ch_mult().size());
  const bool biggan = o.resblock_type() == ResBlockKind::kBigGan;
  const auto res_block = [&](int64_t in, int64_t out, bool up, bool down) {
    return ResBlock(ResBlockOptions(in, out)
                        .temb_dim(temb_dim)
                        .biggan(biggan)
                        .up(up)
                        .down(down)
                        .fir(o.fir())
                        .fir_kernel(o.fir_kernel())
                        .dropout(o.dropout())
                        .skip_rescale(o.skip_rescale())
                        .init_scale(o.init_scale())
                        .dense(o.dense()),
                    gen);
  };
  const auto attn_block = [&](int64_t ch) { return AttnBlock(ch, o.skip_rescale(), o.init_scale(), o.dense(), gen); };

  const bool fourier = o.embedding() == TimeEmbeddingKind::kFourier;
  embed_ = register_module(
      "embed", TimeEmbedding(TimeEmbeddingOptions(time_feature_width())
                                 .kind(fourier ? TimeEmbeddingKind::kFourier : TimeEmbeddingKind::kSinusoidal)
                                 .fourier_scale(o.fourier_scale())
                                 .log_time(fourier)
                                 .seed(o.seed() + 1)));
  temb0_ = register_module("temb0", ddpm_linear(time_feature_width(), temb_dim, gen));
  temb1_ = register_module("temb1", ddpm_linear(temb_dim, temb_dim, gen));

  const int64_t channels = o.in_channels();
  int64_t pyramid_ch = channels;
  conv_in_ = register_module("conv_in", ddpm_conv(channels, nf, 3, gen));
  std::vector<int64_t> skip_ch{nf};
  int64_t in_ch = nf;
  levels_.resize(num_levels);
  for (int64_t i = 0; i < num_levels; ++i) {
    Level& level = levels_[i];
    const std::string name = "level" + std::to_string(i) + "_";
    const int64_t resolution = o.image_size() >> i;
    for (int64_t j = 0; j < o.num_res_blocks(); ++j) {
      const int64_t out_ch = nf * o.ch_mult()[i];
      level.down_blocks.push_back(
          register_module(name + "down" + std::to_string(j), res_block(in_ch, out_ch, false, false)));
      in_ch = out_ch;
      if (contains(o.attn_resolutions(), resolution)) {
        level.down_attn.push_back(register_module(name + "down_attn" + std::to_string(j), attn_block(in_ch)));
      }
      skip_ch.push_back(in_ch);
    }
    if (i == num_levels - 1) continue;
    if (biggan) {
      level.down_res = register_module(name + "downsample", res_block(in_ch, in_ch, false, true));
    } else {
      level.down_plain = register_module(
          name + "downsample", Resample(kDown, in_ch, in_ch, o.resamp_with_conv(), o.fir(), o.fir_kernel(), gen));
    }
    if (o.progressive_input() == InputPyramid::kInputSkip) {
      level.input_pyramid = register_module(name + "input_combine", ddpm_conv(pyramid_ch, in_ch, 1, gen));
      if (o.progressive_combine() == PyramidCombine::kCat) in_ch *= 2;
    } else if (o.progressive_input() == InputPyramid::kResidual) {
      level.input_pyramid = register_module(
          name + "input_pyramid", Resample(kDown, pyramid_ch, in_ch, true, o.fir(), o.fir_kernel(), gen).ptr());
      pyramid_ch = in_ch;
    }
    skip_ch.push_back(in_ch);
  }

  in_ch = skip_ch.back();
  mid0_ = register_module("mid0", res_block(in_ch, in_ch, false, false));
  mid1_ = register_module("mid1", attn_block(in_ch));
  mid2_ = register_module("mid2", res_block(in_ch, in_ch, false, false));

  int64_t up_pyramid_ch = 0;
  for (int64_t i = num_levels - 1; i >= 0; --i) {
    Level& level = levels_[i];
    const std::string name = "level" + std::to_string(i) + "_";
    const int64_t resolution = o.image_size() >> i;
    for (int64_t j = 0; j <= o.num_res_blocks(); ++j) {
      const int64_t out_ch = nf * o.ch_mult()[i];
      level.up_blocks.push_back(
          register_module(name + "up" + std::to_string(j), res_block(in_ch + skip_ch.back(), out_ch, false, false)));
      skip_ch.pop_back();
      in_ch = out_ch;
    }
    if (contains(o.attn_resolutions(), resolution))
      level.up_attn = register_module(name + "up_attn", attn_block(in_ch));
    if (o.progressive() != OutputPyramid::kNone) {
      const bool top = i == num_levels - 1;
      if (o.progressive() == OutputPyramid::kOutputSkip) {
        level.pyramid_norm = register_module(name + "pyramid_norm", group_norm(in_ch));
        level.pyramid_conv =
            register_module(name + "pyramid_conv", ddpm_conv(in_ch, o.out_channels(), 3, gen, o.init_scale()));
      } else if (top) {  // residual
        level.pyramid_norm = register_module(name + "pyramid_norm", group_norm(in_ch));
        level.pyramid_conv = register_module(name + "pyramid_conv", ddpm_conv(in_ch, in_ch, 3, gen));
        up_pyramid_ch = in_ch;
      } else {
        level.pyramid_up = register_module(name + "pyramid_up",
                                           Resample(kUp, up_pyramid_ch, in_ch, true, o.fir(), o.fir_kernel(), gen));
        up_pyramid_ch = in_ch;
      }
    }
    if (i == 0) continue;
    if (biggan) {
      level.up_res = register_module(name + "upsample", res_block(in_ch, in_ch, true, false));
    } else {
      level.up_plain = register_module(name + "upsample",
                                       Resample(kUp, in_ch, in_ch, o.resamp_with_conv(), o.fir(), o.fir_kernel(), gen));
    }
  }
  TORCH_CHECK(skip_ch.empty(), "Ncsnpp: unbalanced skip connections");
  if (o.progressive() != OutputPyramid::kOutputSkip) {
    out_norm_ = register_module("out_norm", group_norm(in_ch));
    out_conv_ = register_module("out_conv", ddpm_conv(in_ch, o.out_channels(), 3, gen, o.init_scale()));
  }
}

void NcsnppImpl::use_channels_last() {
  at::NoGradGuard no_grad;
  for (auto& p : parameters(/*recurse=*/true)) {
    if (p.dim() == 4) p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
  }
  input_format_ = at::MemoryFormat::ChannelsLast;
}

at::Tensor NcsnppImpl::forward(const at::Tensor& u, const at::Tensor& t) { return forward_labelled(u, t, {}); }

at::Tensor NcsnppImpl::forward_labelled(const at::Tensor& u_in, const at::Tensor& t, const at::Tensor& labels) {
  const auto& o = options;
  const at::Tensor u = u_in.contiguous(input_format_);
  const double inv_sqrt2 = 1.0 / std::sqrt(2.0);
  const int64_t num_levels = static_cast<int64_t>(levels_.size());
  // Every residual block adds Dense(SiLU(temb)): SiLU once here.
  const at::Tensor features = add_label_embedding(label_embed_, embed_->forward(t), labels, "Ncsnpp");
  const auto temb = temb1_->forward(at::silu(temb0_->forward(features)));
  const auto act_temb = at::silu(temb).to(u.scalar_type());

  at::Tensor input_pyramid = u;
  std::vector<at::Tensor> skips{conv_in_->forward(u)};
  for (int64_t i = 0; i < num_levels; ++i) {
    Level& level = levels_[i];
    for (size_t j = 0; j < level.down_blocks.size(); ++j) {
      auto h = level.down_blocks[j]->forward(skips.back(), act_temb);
      if (!level.down_attn.empty()) h = level.down_attn[j]->forward(h);
      skips.push_back(h);
    }
    if (i == num_levels - 1) continue;
    at::Tensor h =
        level.down_res ? level.down_res->forward(skips.back(), act_temb) : level.down_plain->forward(skips.back());
    if (o.progressive_input() == InputPyramid::kInputSkip) {
      input_pyramid = o.fir() ? fir_downsample_2x(input_pyramid, o.fir_kernel()) : naive_downsample_2x(input_pyramid);
      const auto projected = level.input_pyramid->as<torch::nn::Conv2dImpl>()->forward(input_pyramid);
      h = o.progressive_combine() == PyramidCombine::kCat ? at::cat({projected, h}, 1) : projected + h;
    } else if (o.progressive_input() == InputPyramid::kResidual) {
      input_pyramid = level.input_pyramid->as<ResampleImpl>()->forward(input_pyramid);
      input_pyramid = o.skip_rescale() ? (input_pyramid + h) * inv_sqrt2 : input_pyramid + h;
      h = input_pyramid;
    }
    skips.push_back(h);
  }

  auto h = mid0_->forward(skips.back(), act_temb);
  h = mid1_->forward(h);
  h = mid2_->forward(h, act_temb);

  at::Tensor pyramid;
  for (int64_t i = num_levels - 1; i >= 0; --i) {
    Level& level = levels_[i];
    for (auto& block : level.up_blocks) {
      h = block->forward(at::cat({h, skips.back()}, 1), act_temb);
      skips.pop_back();
    }
    if (level.up_attn) h = level.up_attn->forward(h);
    if (o.progressive() == OutputPyramid::kOutputSkip) {
      const auto out = level.pyramid_conv->forward(at::silu(normalize(*level.pyramid_norm, h)));
      pyramid = pyramid.defined()
                    ? (o.fir() ? fir_upsample_2x(pyramid, o.fir_kernel()) : naive_upsample_2x(pyramid)) + out
                    : out;
    } else if (o.progressive() == OutputPyramid::kResidual) {
      if (level.pyramid_conv) {
        pyramid = level.pyramid_conv->forward(at::silu(normalize(*level.pyramid_norm, h)));
      } else {
        pyramid = level.pyramid_up->forward(pyramid);
        // As the reference: with skip_rescale the sum is not fed back into h.
        if (o.skip_rescale()) {
          pyramid = (pyramid + h) * inv_sqrt2;
        } else {
          pyramid = pyramid + h;
          h = pyramid;
        }
      }
    }
    if (i == 0) continue;
    h = level.up_res ? level.up_res->forward(h, act_temb) : level.up_plain->forward(h);
  }
  if (o.progressive() == OutputPyramid::kOutputSkip) return pyramid;
  return out_conv_->forward(at::silu(normalize(*out_norm_, h)));
}

}  // namespace hold
