#pragma once
// RunConfig: one YAML file describes a run (architecture.md). Every section maps
// 1:1 onto a plain options struct; every key is validated at load time and an
// unknown key is an error that suggests the nearest valid one:
//   error: unknown key 'sde.bta', did you mean 'sde.beta'? (configs/x.yaml:4 sde.bta)
// Config → options translation lives here, once (style.md §5.4).
#include <cstdint>
#include <string>
#include <vector>

#include "core/gaussian_mixture.h"
#include "objectives/objective.h"
#include "samplers/sampler.h"
#include "sde/presets.h"

namespace hold {

struct DataConfig {
  /// swissroll | gmm1d | gmm
  std::string name = "swissroll";
  /// gmm: the mixture (weights, means, stds); gmm1d fills the documented default.
  GaussianMixture mixture;
  /// swissroll: scikit-learn make_swiss_roll noise (before scaling) and scale.
  double noise = 0.02;
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
};

struct TrainConfig {
  int64_t steps = 20000;
  int64_t batch_size = 512;
  double lr = 1e-3;
  /// Linear warmup of the learning rate over this many steps.
  int64_t warmup = 0;
  /// Gradient clipping by global norm (≤ 0: off).
  double grad_clip = 1.0;
  /// EMA decay of the weights used for sampling.
  double ema = 0.999;
  int64_t log_every = 100;
  int64_t ckpt_every = 5000;
  /// How many periodic checkpoints to keep (the latest is always kept).
  int64_t keep_checkpoints = 3;
};

struct RunConfig {
  SdeConfig sde;
  DataConfig data;
  ModelConfig model;
  ObjectiveConfig objective;
  TrainConfig train;
  SamplerOptions sample;
  /// Number of samples hold-sample draws by default.
  int64_t sample_count = 2000;
  int64_t seed = 0;
  /// 0: all cores.
  int threads = 0;
  /// cpu | cuda | cuda:i
  std::string device = "cpu";
  /// Where the config came from (for messages).
  std::string source;
};

/// Parses and validates a YAML file; `overrides` are "key.path=value" strings
/// (--set) applied before validation with the same checks. Throws ConfigError.
RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});
/// The same from YAML text (tests; embedded defaults). `source` names it in errors.
RunConfig parse_config(const std::string& yaml_text, const std::string& source,
                       const std::vector<std::string>& overrides = {});
/// The resolved config as YAML (written to the work dir and into checkpoints);
/// parse_config(to_yaml(c)) reproduces c.
std::string to_yaml(const RunConfig& config);

}  // namespace hold
