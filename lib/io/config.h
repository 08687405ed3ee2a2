#pragma once
// RunConfig: one YAML file describes a run (architecture.md). Every section is
// the options struct of the module that owns it, which defines and checks its
// keys (SdeConfig in sde/, DataConfig in data/, ModelConfig in models/,
// ObjectiveConfig in objectives/, TrainConfig and DistributedOptions in
// train/, SamplerOptions in samplers/, LikelihoodOptions in likelihood/).
// This layer composes them: it reads the YAML, applies --set and the apps'
// flags, suggests keys, turns the modules' "(section.key)" into the key's
// origin, checks the combinations across sections, and writes YAML back:
//   error: unknown key 'sde.bta', did you mean 'sde.beta'? (configs/x.yaml:4 sde.bta)
#include <c10/core/Device.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hold/data/data_config.h"
#include "hold/likelihood/likelihood.h"
#include "hold/models/model_config.h"
#include "hold/objectives/objective.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/presets.h"
#include "hold/train/distributed.h"
#include "hold/train/train_config.h"

namespace hold {

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
