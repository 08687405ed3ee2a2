#pragma once
// The network registry (model.name) and the factories of networks and score
// models. They take the `model:` section and the few facts of the run they
// need, never the whole run config:
//   mlp     Mlp on the whole state, wrapped as EpsScoreModel (−ε_θ/ℓ_t, mixed
//           score if model.mixed_score) with ℓ_t from the objective's Σ₀
//   ncsnpp  NCSN++ on images (lib/models/ncsnpp.h), wrapped the same way
//   oracle  the exact GaussianMixtureOracle of the data mixture (no network)
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hold/core/registry.h"
#include "hold/models/model_config.h"

namespace hold {

class EpsNetwork;
class LinearSde;
class ScoreModel;
struct GaussianMixture;
struct ObjectiveConfig;

/// What a network is for: vector data, images, or (the oracle) a Gaussian
/// mixture data set.
enum class NetworkInput { kVectors, kImages, kMixture };

struct Network {
  std::string name;
  std::string help;
  NetworkInput input;
  /// The network for data points of shape `data_shape` and K = num_blocks,
  /// predicting `out_blocks` blocks (1, or K for objective.target all),
  /// initialised from `seed`; empty for the oracle (no network).
  std::function<std::shared_ptr<EpsNetwork>(const ModelConfig&, const std::vector<int64_t>& data_shape,
                                            int64_t num_blocks, int64_t out_blocks, uint64_t seed)>
      make;
};

/// model.name: mlp | ncsnpp | oracle.
const Registry<Network>& network_registry();

/// The network of a validated section for data points of shape `data_shape`
/// ({d}, or {C, H, W}: the x block's shape without the batch) and an SDE of
/// `num_blocks` blocks whose output is ε of `out_blocks` blocks (1: the last;
/// num_blocks: every block, objective.target all), initialised from `seed`;
/// nullptr for the oracle. Throws ConfigError (model.name) for a model it cannot build.
std::shared_ptr<EpsNetwork> make_network(const ModelConfig& model, const std::vector<int64_t>& data_shape,
                                         int64_t num_blocks, int64_t out_blocks, uint64_t seed);
/// The network of a noise-conditional classifier (objective classifier,
/// issue 14): the whole state of K = num_blocks blocks and the time in,
/// num_classes logits out. model.name mlp only (an Mlp of K·d inputs and
/// num_classes outputs); ConfigError (model.name) for another network.
std::shared_ptr<EpsNetwork> make_classifier_network(const ModelConfig& model, const std::vector<int64_t>& data_shape,
                                                    int64_t num_blocks, int64_t num_classes, uint64_t seed);
/// Number of trainable parameters (what --dry-run prints).
int64_t count_parameters(const EpsNetwork& net);

/// The ScoreModel samplers and the likelihood call. For the oracle, `net` is
/// ignored and `mixture` (the data set's) is used; otherwise `net` (e.g.
/// loaded with EMA weights) is wrapped with ℓ_t from `objective`'s Σ₀ (and,
/// for objective.target all, L_t: the full-state score). The sde must outlive the model.
std::unique_ptr<ScoreModel> make_score_model(const ModelConfig& model, const LinearSde& sde,
                                             const ObjectiveConfig& objective, const GaussianMixture& mixture,
                                             std::shared_ptr<EpsNetwork> net);

}  // namespace hold
