#pragma once
// The network a sampling tool needs: built from the run config, loaded from a
// checkpoint that must have been trained with the same sde/data/model/objective
// (what the network computes; how its 1×1 layers run does not count), moved
// to the device and set to evaluation mode.
#include <c10/core/Device.h>

#include <memory>
#include <string>

#include "train/checkpoint.h"

namespace hold {

class EpsNetwork;

/// nullptr for model.name == "oracle" (no checkpoint needed). UsageError when
/// a network needs a checkpoint and none is given, or the checkpoint does not
/// match the config (naming `config_path` and the checkpoint).
std::shared_ptr<EpsNetwork> load_trained_network(const RunConfig& config, const std::string& config_path,
                                                 const std::string& ckpt_path, WeightSet weights,
                                                 c10::Device device);

}  // namespace hold
