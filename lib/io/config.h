#pragma once
// RunConfig: one YAML file describes a run (architecture.md). Every section maps
// 1:1 onto a plain options struct; every key is validated at load time and an
// unknown key is an error that suggests the nearest valid one:
//   error: unknown key 'sde.bta', did you mean 'sde.beta'? (configs/x.yaml:4 sde.bta)
// Config → options translation lives here, once (style.md §5.4).
#include <cstdint>
#include <map>
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
                       const std::vector<std::string>& overrides,
                       const std::vector<ConfigOverride>& flags);
/// The resolved config as YAML (written to the work dir and into checkpoints);
/// parse_config(to_yaml(c)) reproduces c.
std::string to_yaml(const RunConfig& config);

/// Every valid key path ("seed", "sde.beta", ...), in file order (docs, --help).
const std::vector<std::string>& config_keys();

}  // namespace hold
