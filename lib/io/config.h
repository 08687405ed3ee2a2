#pragma once
// RunConfig: one YAML file describes a run (architecture.md). Every section maps
// 1:1 onto a plain options struct; every key is validated at load time and an
// unknown key is an error that suggests the nearest valid one:
//   error: unknown key 'sde.bta', did you mean 'sde.beta'? (configs/x.yaml:4 sde.bta)
// Config → options translation lives here, once (style.md §5.4).
#include <c10/core/Device.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hold/core/gaussian_mixture.h"
#include "hold/likelihood/likelihood.h"
#include "hold/objectives/objective.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/presets.h"
#include "hold/train/distributed.h"

namespace hold {

struct DataConfig {
  /// Toy: swissroll | gmm1d | gmm. Images: cifar10 | mnist | fashion_mnist |
  /// image_folder (lib/data/image_readers.h).
  std::string name = "swissroll";
  /// Images: where the files are (cifar10: cifar-10-batches-bin or its parent;
  /// mnist/fashion_mnist: the IDX files' folder, default Debian's
  /// /usr/share/datasets/fashion-mnist for fashion_mnist; image_folder: the folder).
  std::string path;
  /// Images: train | test.
  std::string split = "train";
  /// image_folder: the side images are centre-cropped and resized to.
  int64_t image_size = 0;
  /// image_folder: 1 (grey) or 3 (RGB).
  int64_t channels = 3;
  /// Images: random horizontal flips in training.
  bool random_flip = true;
  /// Images: pixels of value −1 added on each side (28 → 32: 2).
  int64_t pad = 0;
  /// Batches prepared ahead by a background thread (0: none).
  int64_t prefetch = 2;
  /// gmm: the mixture (weights, means, stds); gmm1d fills the documented default.
  GaussianMixture mixture;
  /// swissroll: scikit-learn make_swiss_roll noise (before scaling) and scale.
  double noise = 0.2;  // as the published CLD code draws its multimodal swiss roll
  double scale = 0.01;
};

struct ModelConfig {
  /// mlp | oracle (oracle: the exact score of a gmm/gmm1d data set, math.md §6)
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
};

/// Whether `model` runs in channels_last on `device` (model.channels_last).
bool use_channels_last(const ModelConfig& model, const c10::Device& device);

struct TrainConfig {
  int64_t steps = 20000;
  int64_t batch_size = 512;
  double lr = 1e-3;
  /// Linear warmup of the learning rate over this many steps.
  int64_t warmup = 0;
  /// Learning rate after warmup: constant | cosine (decays to 0 at train.steps,
  /// which sharpens fine structure such as the thin swiss rolls).
  std::string lr_schedule = "constant";
  /// Gradient clipping by global norm (≤ 0: off).
  double grad_clip = 1.0;
  /// EMA decay of the weights used for sampling.
  double ema = 0.999;
  int64_t log_every = 100;
  int64_t ckpt_every = 5000;
  /// How many periodic checkpoints to keep (the latest is always kept).
  int64_t keep_checkpoints = 3;
  /// Images: a grid of samples (EMA weights, the sample section's sampler)
  /// every this many steps (0: never).
  int64_t sample_every = 0;
  /// Images in that grid.
  int64_t sample_grid = 64;
  /// fp32 | bf16 | fp16: autocast of the network's forward (fp16 with a
  /// dynamic loss scale). CUDA; bf16 also runs on the CPU.
  std::string precision = "fp32";
  /// Steps in a row with a non-finite loss or gradient before the run stops
  /// (each one is skipped: no update reaches the weights).
  int64_t max_nonfinite = 10;
};

struct RunConfig {
  SdeConfig sde;
  DataConfig data;
  ModelConfig model;
  ObjectiveConfig objective;
  TrainConfig train;
  SamplerOptions sample;
  /// hold-nll: the probability-flow likelihood (math.md §5).
  LikelihoodOptions likelihood;
  /// Data-parallel training across processes (docs/distributed.md).
  DistributedOptions distributed;
  /// Number of samples hold-sample draws by default.
  int64_t sample_count = 2000;
  int64_t seed = 0;
  /// 0: all cores.
  int threads = 0;
  /// cpu | cuda | cuda:i | auto (cuda:LOCAL_RANK where CUDA is available, else cpu)
  std::string device = "cpu";
  /// Where the config came from (for messages).
  std::string source;
  /// Where each key that was given came from: "sde.beta" → "configs/x.yaml:4 sde.beta"
  /// or "--set sde.beta" (keys left at their default are absent).
  std::map<std::string, std::string> origins;
  /// Non-fatal findings of validation (e.g. the prior mismatch of math.md §2);
  /// apps print them as warnings.
  std::vector<std::string> warnings;

  /// "<file>:<line> key" when the key was in the file, "--set key" or "--flag" when
  /// it came from the command line, "<file> key" when it kept its default: the
  /// <where> of an error message about that key, e.g.
  ///   throw UsageError("... (" + config.where("sample.nfe") + ")");
  std::string where(const std::string& key) const;
  /// 1-based line of the key in the config file; 0 when it was not in the file.
  int line_of(const std::string& key) const;
};

/// One key set from the command line by a dedicated flag of an app
/// (e.g. {"sample.nfe", "20", "--nfe"}): the value is YAML (a scalar or a flow
/// sequence) and gets the same checks as in the file; errors name `origin`.
struct ConfigOverride {
  std::string key;
  std::string value;
  std::string origin;
};

/// Parses and validates a YAML file; `overrides` are "key.path=value" strings
/// (--set) applied before validation with the same checks. Throws ConfigError.
/// The file must exist and parse; every error is a ConfigError "<what> (<where>)".
RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});
/// The same from YAML text (tests; embedded defaults). `source` names it in errors.
RunConfig parse_config(const std::string& yaml_text, const std::string& source,
                       const std::vector<std::string>& overrides = {});
/// The general forms: `flags` (dedicated app flags) are applied first, then the
/// --set `overrides`, so an explicit --set wins.
RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides,
                      const std::vector<ConfigOverride>& flags);
RunConfig parse_config(const std::string& yaml_text, const std::string& source,
                       const std::vector<std::string>& overrides, const std::vector<ConfigOverride>& flags);
/// The resolved config as YAML (written to the work dir and into checkpoints);
/// parse_config(to_yaml(c)) reproduces c.
std::string to_yaml(const RunConfig& config);

/// Every valid key path ("seed", "sde.beta", ...), in file order (docs, --help).
const std::vector<std::string>& config_keys();

}  // namespace hold
