#include "hold/train/run_components.h"

#include "hold/core/device.h"
#include "hold/data/toy_dataset.h"
#include "hold/io/config.h"
#include "hold/models/eps_network.h"
#include "hold/models/score_model.h"
#include "hold/objectives/objective.h"
#include "hold/sde/presets.h"

namespace hold {

std::shared_ptr<EpsNetwork> make_network(const RunConfig& config, const std::vector<int64_t>& data_shape) {
  // K without building the SDE's kernels: 1, 2 (cld) or the hold order.
  const int64_t num_blocks = make_sde(config.sde).num_blocks();
  if (config.objective.trains_classifier()) {
    return make_classifier_network(config.model, data_shape, num_blocks, num_classes(config.data),
                                   static_cast<uint64_t>(config.seed));
  }
  const int64_t out_blocks = config.objective.predicts_all_blocks() ? num_blocks : 1;
  return make_network(config.model, data_shape, num_blocks, out_blocks, static_cast<uint64_t>(config.seed));
}

std::shared_ptr<EpsNetwork> make_network(const RunConfig& config, int64_t data_dim) {
  return make_network(config, std::vector<int64_t>{data_dim});
}

std::shared_ptr<EpsNetwork> make_network(const RunConfig& config) {
  return make_network(config, data_shape(config.data));
}

std::unique_ptr<ScoreModel> make_score_model(const RunConfig& config, const LinearSde& sde,
                                             std::shared_ptr<EpsNetwork> net) {
  GaussianMixture mixture = config.data.mixture;
  // A config built in code (not validated) may leave gmm1d's default mixture out.
  if (mixture.num_components() == 0 && config.data.name == "gmm1d") mixture = default_gmm1d_mixture();
  return make_score_model(config.model, sde, config.objective, mixture, std::move(net));
}

std::unique_ptr<TrainingData> make_training_data(const RunConfig& config, int64_t rank, int64_t world_size) {
  TrainingStream stream;
  stream.batch_size = config.train.batch_size;
  stream.seed = static_cast<uint64_t>(config.seed);
  stream.rank = rank;
  stream.world_size = world_size;
  stream.pin_memory = resolve_device(config.device).is_cuda();
  return make_training_data(config.data, stream);
}

}  // namespace hold
