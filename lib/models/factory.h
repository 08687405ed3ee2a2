#pragma once
// Builds the networks and score models a RunConfig names (model.name):
//   mlp     Mlp on the whole state, wrapped as EpsScoreModel (−ε_θ/ℓ_t, mixed
//           score if model.mixed_score) with ℓ_t from the objective's Σ₀
//   oracle  the exact GaussianMixtureOracle of the data mixture (no network)
#include <cstdint>
#include <memory>
#include <vector>

namespace hold {

class EpsNetwork;
class LinearSde;
class ScoreModel;
struct RunConfig;

/// The network of a validated config for data points of shape `data_shape`
/// ({d}, or {C, H, W}: the x block's shape without the batch), initialised
/// from config.seed; nullptr for model.name == "oracle".
/// Throws ConfigError (model.name) for a model it cannot build.
std::shared_ptr<EpsNetwork> make_network(const RunConfig& config, const std::vector<int64_t>& data_shape);
/// The same for vectors of dimension d.
std::shared_ptr<EpsNetwork> make_network(const RunConfig& config, int64_t data_dim);
/// The network of a validated config for its data set's shape.
std::shared_ptr<EpsNetwork> make_network(const RunConfig& config);
/// Number of trainable parameters (what --dry-run prints).
int64_t count_parameters(const EpsNetwork& net);

/// The ScoreModel samplers and the likelihood call. For "oracle", `net` is
/// ignored and the data mixture (data.mixture) is used; otherwise `net` (e.g.
/// loaded with EMA weights) is wrapped. The sde must outlive the model.
std::unique_ptr<ScoreModel> make_score_model(const RunConfig& config, const LinearSde& sde,
                                             std::shared_ptr<EpsNetwork> net);

}  // namespace hold
