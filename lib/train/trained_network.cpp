#include "train/trained_network.h"

#include <torch/nn/module.h>

#include "core/error.h"
#include "data/data_source.h"
#include "models/eps_network.h"
#include "models/factory.h"

namespace hold {
namespace {

/// The sections that define what a checkpoint's network computes.
std::string model_identity(const RunConfig& c) {
  RunConfig k;
  k.sde = c.sde;
  k.data = c.data;
  k.model = c.model;
  k.model.dense = "";  // how 1×1 layers run, not what they compute
  k.objective = c.objective;
  return to_yaml(k);
}

}  // namespace

std::shared_ptr<EpsNetwork> load_trained_network(const RunConfig& config, const std::string& config_path,
                                                 const std::string& ckpt_path, WeightSet weights,
                                                 c10::Device device) {
  if (config.model.name == "oracle") return nullptr;
  if (ckpt_path.empty()) throw UsageError("model '" + config.model.name + "' needs a checkpoint (--ckpt)");
  const LoadedCheckpoint ckpt = load_checkpoint(ckpt_path);
  if (!config_path.empty() && model_identity(ckpt.config) != model_identity(config)) {
    throw UsageError("checkpoint was trained with a different sde/data/model/objective than " + config_path + " (" +
                     ckpt_path + ")");
  }
  auto net = make_network(config, data_shape(config.data));
  load_weights(*net, ckpt, weights);
  net->to(device);
  net->eval();
  return net;
}

}  // namespace hold
