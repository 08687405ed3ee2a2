#pragma once
// The network a sampling tool needs: built from the run config, loaded from a
// checkpoint that must have been trained with the same sde/data/model/objective
// (what the network computes; how its 1×1 layers run does not count), moved
// to the device and set to evaluation mode.
#include <c10/core/Device.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hold/train/checkpoint.h"

namespace hold {

class EpsNetwork;
class LinearSde;
class ScoreModel;

/// UsageError naming the first key of the sde, data, model or objective
/// sections whose value differs between the checkpoint's config (`trained`)
/// and `config` (data paths, split, flips and prefetch may differ).
void check_same_model(const RunConfig& trained, const RunConfig& config, const std::string& config_path,
                      const std::string& ckpt_path);

/// The first key of the given sections ("sde", "data", ...; all four when
/// empty) that differs between `trained` and `config`, as
/// "key: <trained value> but <config source> has key: <value>"; nullopt if none.
std::optional<std::string> first_difference(const RunConfig& trained, const RunConfig& config,
                                            const std::vector<std::string>& sections = {});

/// nullptr for model.name == "oracle" (no checkpoint needed). A classifier's
/// config or checkpoint (objective.name classifier) is a UsageError naming
/// objective.name or --ckpt: it is no score model. UsageError when
/// a network needs a checkpoint and none is given, or the checkpoint does not
/// match the config (naming `config_path` and the checkpoint).
std::shared_ptr<EpsNetwork> load_trained_network(const RunConfig& config, const std::string& config_path,
                                                 const std::string& ckpt_path, WeightSet weights, c10::Device device);

/// Everything a sampling or evaluation tool needs from a run: the SDE, the
/// network (null for the oracle) and the score model over them, on the run's
/// device.
struct TrainedModel {
  c10::Device device = c10::kCPU;
  std::unique_ptr<LinearSde> sde;  // owned here: the score model refers to it
  std::shared_ptr<EpsNetwork> net;
  std::unique_ptr<ScoreModel> model;

  TrainedModel();
  TrainedModel(TrainedModel&&) noexcept;
  ~TrainedModel();
};

/// resolve_device(config.device), load_trained_network, make_sde and
/// make_score_model in one call (errors as load_trained_network).
TrainedModel load_trained_model(const RunConfig& config, const std::string& config_path, const std::string& ckpt_path,
                                WeightSet weights);

}  // namespace hold
