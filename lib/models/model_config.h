#pragma once
// The `model:` section of a run config, owned here: the keys, their checks,
// and the registries of the names they take (the networks themselves are
// registered in factory.h).
#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hold/core/registry.h"
#include "hold/models/ncsnpp_choices.h"

namespace hold {

enum class TimeEmbeddingKind;
enum class DenseImpl;

struct ModelConfig {
  /// A name of network_registry(): mlp | ncsnpp | oracle (the exact score of a
  /// gmm/gmm1d data set, math.md §6).
  std::string name = "mlp";
  /// mlp: hidden width and number of linear layers.
  int64_t hidden = 128;
  int64_t layers = 5;
  /// Time embedding: fourier (Gaussian random features) | sinusoidal.
  std::string embedding = "fourier";
  int64_t embedding_dim = 64;
  double fourier_scale = 16.0;
  /// CLD's mixed score: s = s_gauss − ε_θ/ℓ_t.
  bool mixed_score = false;
  /// Class-conditional network for classifier-free guidance (math.md §10.1):
  /// the number of classes of the data's labels (0: unconditional); mlp, ncsnpp.
  int64_t num_classes = 0;
  /// Class-conditional training: each label is replaced by ∅ with this probability.
  double label_dropout = 0.1;

  // ncsnpp (lib/models/ncsnpp.h; the reference's keys, same meanings)
  /// nf: channels at the first resolution.
  int64_t channels = 128;
  std::vector<int64_t> ch_mult = {1, 2, 2, 2};
  int64_t num_res_blocks = 8;
  std::vector<int64_t> attn_resolutions = {16};
  double dropout = 0.1;
  bool resamp_with_conv = true;
  bool fir = true;
  std::vector<double> fir_kernel = {1, 3, 3, 1};
  bool skip_rescale = true;
  /// biggan | ddpm
  std::string resblock_type = "biggan";
  /// none | output_skip | residual
  std::string progressive = "none";
  /// none | input_skip | residual
  std::string progressive_input = "residual";
  /// sum | cat
  std::string progressive_combine = "sum";
  double init_scale = 0.0;
  /// How per-pixel dense layers (NIN, attention) run: matmul | conv (1×1).
  std::string dense = "conv";
  /// auto | true | false: image networks in channels_last (NHWC) memory
  /// layout; auto = on CUDA devices only (faster convolutions there).
  std::string channels_last = "auto";

  /// Checks every key for data points of shape `data_shape` ({d} or
  /// {C, H, W}). Throws ConfigError ending in "(model.<key>)"; findings that
  /// are not errors go to `warnings` (ending in "(model.<key>)" too).
  void validate(const std::vector<int64_t>& data_shape, std::vector<std::string>& warnings) const;
};

/// Whether `model` runs in channels_last on `device` (model.channels_last).
bool use_channels_last(const ModelConfig& model, const c10::Device& device);

enum class ChannelsLast { kAuto, kOn, kOff };

/// The names of the model keys' choices.
const Registry<Choice<TimeEmbeddingKind>>& time_embedding_registry();  ///< model.embedding
const Registry<Choice<ResBlockKind>>& resblock_registry();             ///< model.resblock_type
const Registry<Choice<OutputPyramid>>& output_pyramid_registry();      ///< model.progressive
const Registry<Choice<InputPyramid>>& input_pyramid_registry();        ///< model.progressive_input
const Registry<Choice<PyramidCombine>>& pyramid_combine_registry();    ///< model.progressive_combine
const Registry<Choice<DenseImpl>>& dense_registry();                   ///< model.dense
const Registry<Choice<ChannelsLast>>& channels_last_registry();        ///< model.channels_last

}  // namespace hold
