#include "hold/train/trained_network.h"

#include <torch/nn/module.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hold/core/device.h"
#include "hold/core/error.h"
#include "hold/data/data_source.h"
#include "hold/models/eps_network.h"
#include "hold/models/score_model.h"
#include "hold/objectives/objective.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/presets.h"
#include "hold/train/run_components.h"

namespace hold {
namespace {

/// The keys that define what a checkpoint's network computes, as
/// "section.key" → value text: the sde, data, model and objective sections,
/// less what only says where the data are or how they are fed or run.
std::map<std::string, std::string> model_identity(const RunConfig& c) {
  RunConfig k;
  k.sde = c.sde;
  k.data = c.data;
  k.data.path = k.data.split = "";  // the same images may live elsewhere; any split
  k.data.random_flip = false;
  k.data.prefetch = 0;
  k.model = c.model;
  k.model.dense = "";           // how 1×1 layers run, not what they compute
  k.model.channels_last = "";   // a memory layout
  k.model.label_dropout = 0.0;  // how often training hides the label, not what the network computes
  std::map<std::string, std::string> out;
  for (const auto& section : YAML::Load(to_yaml(k))) {
    if (!section.second.IsMap() || section.first.as<std::string>() == "objective") continue;
    for (const auto& key : section.second) {
      out[section.first.as<std::string>() + "." + key.first.as<std::string>()] = YAML::Dump(key.second);
    }
  }
  // Of the objective, what the network's output means: which blocks' ε it
  // predicts, and the initial law its mixed score assumes (the blocks given
  // at t = 0: all for dsm, objective.blocks otherwise). The rest (weighting,
  // t_eps, hdsm's order and terms) only shapes training, so a fine-tune
  // (hold-train --init) may change it and any of those configs samples it.
  out["objective.target"] = c.objective.target;
  const ObjectiveKind kind = objective_registry().at(c.objective.name).value;
  if (kind == ObjectiveKind::kClassifier) out["objective.name"] = c.objective.name;  // logits, not ε
  if (kind == ObjectiveKind::kDsm) {
    out["objective.blocks"] = "all (objective.name: dsm)";
  } else {
    std::vector<std::string> blocks = c.objective.blocks;
    std::sort(blocks.begin(), blocks.end());
    std::string list;
    for (const auto& b : blocks) list += (list.empty() ? "" : ", ") + b;
    out["objective.blocks"] = "[" + list + "]";
  }
  return out;
}

}  // namespace

std::optional<std::string> first_difference(const RunConfig& trained, const RunConfig& config,
                                            const std::vector<std::string>& sections) {
  const auto a = model_identity(trained), b = model_identity(config);
  const auto compared = [&sections](const std::string& key) {
    return sections.empty() || std::any_of(sections.begin(), sections.end(), [&key](const std::string& section) {
             return key.compare(0, section.size() + 1, section + ".") == 0;
           });
  };
  const auto difference = [&](const std::string& key, const std::string& value) -> std::optional<std::string> {
    const auto it = b.find(key);
    if (!compared(key) || it == b.end() || it->second == value) return std::nullopt;
    return key + ": " + value + " but " + config.source + " has " + key + ": " + it->second;
  };
  // A section's name first (another SDE says more than its first parameter).
  for (const auto& [key, value] : a) {
    const bool name = key.size() > 5 && key.compare(key.size() - 5, 5, ".name") == 0;
    if (auto d = name ? difference(key, value) : std::nullopt) return d;
  }
  for (const auto& [key, value] : a) {
    if (auto d = difference(key, value)) return d;
  }
  return std::nullopt;
}

void check_same_model(const RunConfig& trained, const RunConfig& config, const std::string& config_path,
                      const std::string& ckpt_path) {
  const auto a = model_identity(trained), b = model_identity(config);
  const auto differs = [&b](const auto& entry) {
    const auto it = b.find(entry.first);
    return it != b.end() && it->second != entry.second;
  };
  const auto mismatch = std::find_if(a.begin(), a.end(), differs);
  if (mismatch == a.end()) return;
  const std::string& key = mismatch->first;
  throw UsageError("the checkpoint was trained with " + key + ": " + mismatch->second + " but " + config_path +
                   " has " + key + ": " + b.at(key) + " (" + ckpt_path + ")");
}

std::shared_ptr<EpsNetwork> load_trained_network(const RunConfig& config, const std::string& config_path,
                                                 const std::string& ckpt_path, WeightSet weights, c10::Device device) {
  if (network_registry().at(config.model.name).input == NetworkInput::kMixture) return nullptr;
  if (config.objective.trains_classifier()) {
    throw UsageError(
        "this config trains a classifier (objective.name classifier), not a score model: sample with the score "
        "model's config and give the classifier's checkpoint to hold-sample --classifier (" +
        config.where("objective.name") + ")");
  }
  if (ckpt_path.empty()) throw UsageError("model '" + config.model.name + "' needs a checkpoint (--ckpt)");
  const LoadedCheckpoint ckpt = load_checkpoint(ckpt_path);
  if (ckpt.config.objective.trains_classifier()) {
    throw UsageError(ckpt_path +
                     " is a classifier checkpoint (objective.name classifier), not a score model: give it to "
                     "hold-sample --classifier (--ckpt)");
  }
  if (!config_path.empty()) check_same_model(ckpt.config, config, config_path, ckpt_path);
  auto net = make_network(config, data_shape(config.data));
  load_weights(*net, ckpt, weights);
  net->to(device);
  if (use_channels_last(config.model, device)) net->use_channels_last();
  net->eval();
  return net;
}

TrainedModel::TrainedModel() = default;
TrainedModel::TrainedModel(TrainedModel&&) noexcept = default;
TrainedModel::~TrainedModel() = default;

TrainedModel load_trained_model(const RunConfig& config, const std::string& config_path, const std::string& ckpt_path,
                                WeightSet weights) {
  TrainedModel out;
  out.device = resolve_device(config.device);
  out.net = load_trained_network(config, config_path, ckpt_path, weights, out.device);
  out.sde = std::make_unique<LinearSde>(make_sde(config.sde));
  out.model = make_score_model(config, *out.sde, out.net);
  return out;
}

}  // namespace hold
