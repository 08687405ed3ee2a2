// The checks of the `model:` section and the registries of its choices.
#include "hold/models/model_config.h"

#include <cmath>

#include "hold/core/error.h"
#include "hold/core/format.h"
#include "hold/models/factory.h"
#include "hold/models/ncsnpp_layers.h"
#include "hold/models/time_embedding.h"

namespace hold {
namespace {

void require(bool ok, const char* key, const std::string& what) { require_key(ok, "model", key, what); }

void validate_ncsnpp(const ModelConfig& m, const std::vector<int64_t>& shape, std::vector<std::string>& warnings) {
  require(m.channels >= 4, "channels", "channels must be >= 4, got " + std::to_string(m.channels));
  require(m.num_res_blocks >= 1, "num_res_blocks",
          "num_res_blocks must be >= 1, got " + std::to_string(m.num_res_blocks));
  require(!m.ch_mult.empty(), "ch_mult", "ch_mult needs at least one resolution");
  for (int64_t mult : m.ch_mult) {
    require(mult >= 1, "ch_mult", "ch_mult entries must be >= 1, got " + std::to_string(mult));
  }
  require(m.dropout >= 0 && m.dropout < 1, "dropout", "dropout must be in [0, 1), got " + fmt(m.dropout));
  require(m.init_scale >= 0 && std::isfinite(m.init_scale), "init_scale",
          "init_scale must be >= 0, got " + fmt(m.init_scale));
  double taps = 0;
  for (double k : m.fir_kernel) taps += k;
  require(!m.fir_kernel.empty() && taps > 0, "fir_kernel", "fir_kernel must have a positive sum");
  const int64_t levels = static_cast<int64_t>(m.ch_mult.size());
  require(shape[1] == shape[2] && shape[1] % (int64_t{1} << (levels - 1)) == 0, "ch_mult",
          std::to_string(levels) + " resolutions need a square image whose side is divisible by " +
              std::to_string(int64_t{1} << (levels - 1)) + ", got " + std::to_string(shape[1]) + "x" +
              std::to_string(shape[2]) + " (set data.pad or data.image_size)");
  for (int64_t r : m.attn_resolutions) {
    bool found = false;
    for (int64_t i = 0; i < levels; ++i) found = found || (shape[1] >> i) == r;
    if (!found) {
      warnings.push_back("attention resolution " + std::to_string(r) +
                         " is not one of the network's (model.attn_resolutions)");
    }
  }
}

}  // namespace

const Registry<Choice<TimeEmbeddingKind>>& time_embedding_registry() {
  static const Registry<Choice<TimeEmbeddingKind>> r(
      "time embedding", "model.embedding",
      {{"fourier", TimeEmbeddingKind::kFourier, "Gaussian random Fourier features (ncsnpp: of log t)"},
       {"sinusoidal", TimeEmbeddingKind::kSinusoidal, "transformer positional features (ncsnpp: of 1000·t)"}});
  return r;
}

const Registry<Choice<ResBlockKind>>& resblock_registry() {
  static const Registry<Choice<ResBlockKind>> r(
      "resblock_type", "model.resblock_type",
      {{"biggan", ResBlockKind::kBigGan, "BigGAN blocks: resampling inside the residual blocks"},
       {"ddpm", ResBlockKind::kDdpm, "DDPM blocks, separate resampling layers"}});
  return r;
}

const Registry<Choice<OutputPyramid>>& output_pyramid_registry() {
  static const Registry<Choice<OutputPyramid>> r("progressive", "model.progressive",
                                                 {{"none", OutputPyramid::kNone, "no output pyramid"},
                                                  {"output_skip", OutputPyramid::kOutputSkip, "StyleGAN2 output skips"},
                                                  {"residual", OutputPyramid::kResidual, "residual output pyramid"}});
  return r;
}

const Registry<Choice<InputPyramid>>& input_pyramid_registry() {
  static const Registry<Choice<InputPyramid>> r(
      "progressive_input", "model.progressive_input",
      {{"none", InputPyramid::kNone, "no input pyramid"},
       {"input_skip", InputPyramid::kInputSkip, "input skips at every resolution"},
       {"residual", InputPyramid::kResidual, "residual input pyramid"}});
  return r;
}

const Registry<Choice<PyramidCombine>>& pyramid_combine_registry() {
  static const Registry<Choice<PyramidCombine>> r(
      "progressive_combine", "model.progressive_combine",
      {{"sum", PyramidCombine::kSum, "added to the features"}, {"cat", PyramidCombine::kCat, "concatenated"}});
  return r;
}

const Registry<Choice<DenseImpl>>& dense_registry() {
  static const Registry<Choice<DenseImpl>> r(
      "dense implementation", "model.dense",
      {{"conv", DenseImpl::kConv, "1×1 convolutions"},
       {"matmul", DenseImpl::kMatmul, "matrix products over the channels (the same parameters)"}});
  return r;
}

const Registry<Choice<ChannelsLast>>& channels_last_registry() {
  static const Registry<Choice<ChannelsLast>> r("channels_last", "model.channels_last",
                                                {{"auto", ChannelsLast::kAuto, "on CUDA devices only"},
                                                 {"true", ChannelsLast::kOn, "always NHWC"},
                                                 {"false", ChannelsLast::kOff, "always NCHW"}});
  return r;
}

bool use_channels_last(const ModelConfig& model, const c10::Device& device) {
  const ChannelsLast mode = channels_last_registry().at(model.channels_last).value;
  return mode == ChannelsLast::kOn || (mode == ChannelsLast::kAuto && device.is_cuda());
}

void ModelConfig::validate(const std::vector<int64_t>& data_shape, std::vector<std::string>& warnings) const {
  const Network& network = network_registry().at(name);
  time_embedding_registry().at(embedding);
  require(hidden >= 1, "hidden", "hidden must be >= 1, got " + std::to_string(hidden));
  require(layers >= 2, "layers", "layers must be >= 2, got " + std::to_string(layers));
  require(embedding_dim >= 2 && embedding_dim % 2 == 0, "embedding_dim",
          "embedding_dim must be even and >= 2, got " + std::to_string(embedding_dim));
  require(fourier_scale > 0 && std::isfinite(fourier_scale), "fourier_scale",
          "fourier_scale must be positive, got " + fmt(fourier_scale));
  require(num_classes >= 0, "num_classes",
          "num_classes must be >= 0 (0: unconditional), got " + std::to_string(num_classes));
  require(label_dropout >= 0 && label_dropout <= 1, "label_dropout",
          "label_dropout must be in [0, 1], got " + fmt(label_dropout));
  require(num_classes == 0 || network.input != NetworkInput::kMixture, "num_classes",
          "the oracle takes no model.num_classes: its classes are the mixture's components (hold-sample --class)");
  if (network.input != NetworkInput::kImages) return;
  resblock_registry().at(resblock_type);
  output_pyramid_registry().at(progressive);
  input_pyramid_registry().at(progressive_input);
  pyramid_combine_registry().at(progressive_combine);
  dense_registry().at(dense);
  channels_last_registry().at(channels_last);
  if (data_shape.size() == 3) validate_ncsnpp(*this, data_shape, warnings);
}

}  // namespace hold
