#pragma once
// The parts of a run built from its whole config: thin wrappers that hand each
// module's factory its own section and the few facts it needs (the data
// shape, K, the seed, the device). Trainer, hold-* tools and tests use these;
// the modules below never see a RunConfig.
#include <cstdint>
#include <memory>
#include <vector>

#include "hold/data/data_source.h"
#include "hold/models/factory.h"

namespace hold {

struct RunConfig;

/// The network of a validated config for data points of shape `data_shape`
/// ({d} or {C, H, W}), initialised from config.seed; nullptr for the oracle.
/// For objective classifier the classifier's network (num_classes(data) logits).
std::shared_ptr<EpsNetwork> make_network(const RunConfig& config, const std::vector<int64_t>& data_shape);
/// The same for vectors of dimension d.
std::shared_ptr<EpsNetwork> make_network(const RunConfig& config, int64_t data_dim);
/// The same for the config's data set.
std::shared_ptr<EpsNetwork> make_network(const RunConfig& config);

/// The score model of a config: the oracle of its data mixture, or `net`
/// wrapped with ℓ_t from its objective.
std::unique_ptr<ScoreModel> make_score_model(const RunConfig& config, const LinearSde& sde,
                                             std::shared_ptr<EpsNetwork> net);

/// The training stream of a validated config (train.batch_size, the seed,
/// pinned batches for a CUDA device), the rank's share of it.
std::unique_ptr<TrainingData> make_training_data(const RunConfig& config, int64_t rank = 0, int64_t world_size = 1);

}  // namespace hold
