#include "hold/train/class_conditioning.h"

#include <torch/nn/module.h>

#include <cmath>
#include <optional>

#include "hold/core/error.h"
#include "hold/core/format.h"
#include "hold/data/data_source.h"
#include "hold/data/toy_dataset.h"
#include "hold/models/cfg_score_model.h"
#include "hold/models/eps_network.h"
#include "hold/models/eps_score_model.h"
#include "hold/models/factory.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/models/guided_score_model.h"
#include "hold/models/network_classifier.h"
#include "hold/models/oracle_classifier.h"
#include "hold/models/score_model.h"
#include "hold/sde/linear_sde.h"
#include "hold/train/run_components.h"
#include "hold/train/trained_network.h"

namespace hold {
namespace {

/// The data mixture of a gmm/gmm1d run (empty otherwise).
GaussianMixture data_mixture(const RunConfig& config) {
  GaussianMixture m = config.data.mixture;
  if (m.num_components() == 0 && config.data.name == "gmm1d") m = default_gmm1d_mixture();
  return m;
}

void check_class(int64_t cls, int64_t num_classes, const std::string& of) {
  if (cls >= num_classes) {
    throw UsageError("class " + std::to_string(cls) + " is out of range: " + of + " has " +
                     std::to_string(num_classes) + " classes, 0 … " + std::to_string(num_classes - 1) + " (--class)");
  }
}

/// A classifier checkpoint trained on the run's SDE and data (--classifier CKPT).
std::unique_ptr<Classifier> load_classifier(const RunConfig& config, const TrainedModel& trained,
                                            const std::string& path, WeightSet weights,
                                            std::shared_ptr<EpsNetwork>& net) {
  LoadedCheckpoint ckpt;
  try {
    ckpt = load_checkpoint(path);
  } catch (const UsageError& e) {
    throw UsageError(std::string("cannot read the classifier: ") + e.what() + " (--classifier)");
  }
  const ObjectiveConfig& objective = ckpt.config.objective;
  if (!objective.trains_classifier()) {
    throw UsageError(path + " is a score-model checkpoint (objective.name " + objective.name +
                     "), not a classifier: train one with objective.name classifier (--classifier)");
  }
  // The classifier reads u_t: it must have been trained on this SDE's states of these data.
  if (const std::optional<std::string> diff = first_difference(ckpt.config, config, {"sde", "data"})) {
    throw UsageError("the classifier was trained with " + *diff + " (--classifier)");
  }
  net = make_network(ckpt.config);
  load_weights(*net, ckpt, weights);
  net->to(trained.device);
  net->eval();
  return std::make_unique<NetworkClassifier>(net, num_classes(ckpt.config.data), trained.sde->num_blocks());
}

/// The classifier --classifier names.
std::unique_ptr<Classifier> make_classifier(const RunConfig& config, const TrainedModel& trained,
                                            const ClassFlags& flags, WeightSet weights, ClassConditionedModel& out) {
  if (flags.classifier != kOracleClassifier) {
    return load_classifier(config, trained, flags.classifier, weights, out.classifier_net);
  }
  const GaussianMixture mixture = data_mixture(config);
  if (mixture.num_components() == 0) {
    throw UsageError("the oracle classifier needs a gmm or gmm1d data set, got data.name '" + config.data.name +
                     "'; give a classifier checkpoint (--classifier)");
  }
  auto oracle = std::make_unique<GaussianMixtureOracle>(*trained.sde, mixture);
  auto classifier = std::make_unique<OracleClassifier>(*oracle);
  out.oracle = std::move(oracle);
  return classifier;
}

/// Without --class no guidance flag applies.
void refuse_guidance_without_class(const ClassFlags& flags) {
  if (flags.cls != -1) throw UsageError("--class must be ≥ 0, got " + std::to_string(flags.cls) + " (--class)");
  if (flags.guidance_given)
    throw UsageError("--guidance-scale guides towards a class: give --class (--guidance-scale)");
  if (!flags.classifier.empty()) throw UsageError("--classifier guides towards a class: give --class (--classifier)");
  if (flags.cfg_given) throw UsageError("--cfg-scale guides towards a class: give --class (--cfg-scale)");
}

void check_cfg_flags(const RunConfig& config, const ClassFlags& flags, bool oracle_model) {
  if (!flags.cfg_given) return;
  if (!flags.classifier.empty()) {
    throw UsageError("--cfg-scale and --classifier are two kinds of guidance: give one of them (--cfg-scale)");
  }
  if (!(std::isfinite(flags.cfg_scale) && flags.cfg_scale >= 0.0)) {
    throw UsageError("the guidance scale must be finite and ≥ 0, got " + fmt(flags.cfg_scale) + " (--cfg-scale)");
  }
  if (!oracle_model && config.model.num_classes == 0) {
    throw UsageError("classifier-free guidance needs a class-conditional model (model.num_classes > 0), and model '" +
                     config.model.name + "' has none (--cfg-scale)");
  }
}

/// (1 + w) s(u, t, C) − w s(u, t, ∅) over `conditional` when w ≠ 0.
void add_cfg(const ClassFlags& flags, ScoreModel& conditional, const TrainedModel& trained,
             ClassConditionedModel& out) {
  out.model = &conditional;
  if (!flags.cfg_given || flags.cfg_scale == 0.0) return;
  out.cfg = std::make_unique<ClassifierFreeGuidedModel>(conditional, *trained.model, flags.cfg_scale);
  out.model = out.cfg.get();
}

/// A class-conditional network: its score of the class (and its own ∅ score for --cfg-scale).
void use_conditional_network(const ClassFlags& flags, const TrainedModel& trained, ClassConditionedModel& out) {
  if (flags.guidance_given) {
    throw UsageError(
        "--guidance-scale needs a classifier (--classifier); for this class-conditional model use --cfg-scale "
        "(--guidance-scale)");
  }
  auto* const network = dynamic_cast<EpsScoreModel*>(trained.model.get());
  if (network == nullptr) throw UsageError("the model takes no class labels (--class)");
  check_class(flags.cls, network->num_classes(), "the model");
  out.labelled = std::make_unique<LabelledScoreModel>(*network, flags.cls);
  add_cfg(flags, *out.labelled, trained, out);
}

/// The oracle's exact class score: the oracle of the class's component alone.
void use_class_score(const RunConfig& config, const ClassFlags& flags, const TrainedModel& trained, bool oracle_model,
                     ClassConditionedModel& out) {
  if (flags.guidance_given) {
    throw UsageError(
        "--guidance-scale needs a classifier: --classifier CKPT (hold-train objective classifier) or --classifier "
        "oracle (gmm data) (--guidance-scale)");
  }
  if (!oracle_model) {
    throw UsageError("model '" + config.model.name +
                     "' has no classes: guide it with a classifier (--classifier CKPT or oracle) (--class)");
  }
  check_class(flags.cls, data_mixture(config).num_components(), "the data mixture");
  out.class_score = std::make_unique<GaussianMixtureOracle>(*trained.sde, out.class_mixture);
  add_cfg(flags, *out.class_score, trained, out);
}

/// Classifier guidance of the run's model (--classifier, --guidance-scale).
void use_classifier(const RunConfig& config, const ClassFlags& flags, const TrainedModel& trained, WeightSet weights,
                    ClassConditionedModel& out) {
  if (!(std::isfinite(flags.guidance_scale) && flags.guidance_scale >= 0.0)) {
    throw UsageError("the guidance scale must be finite and ≥ 0, got " + fmt(flags.guidance_scale) +
                     " (--guidance-scale)");
  }
  out.classifier = make_classifier(config, trained, flags, weights, out);
  check_class(flags.cls, out.classifier->num_classes(), "the classifier");
  out.guided =
      std::make_unique<ClassifierGuidedModel>(*trained.model, *out.classifier, flags.cls, flags.guidance_scale);
  out.model = out.guided.get();
}

}  // namespace

ClassConditionedModel::ClassConditionedModel() = default;
ClassConditionedModel::ClassConditionedModel(ClassConditionedModel&&) noexcept = default;
ClassConditionedModel::~ClassConditionedModel() = default;

ClassConditionedModel condition_on_class(const RunConfig& config, const TrainedModel& trained, const ClassFlags& flags,
                                         WeightSet weights) {
  ClassConditionedModel out;
  out.model = trained.model.get();
  if (!flags.conditional()) {
    refuse_guidance_without_class(flags);
    return out;
  }
  const GaussianMixture mixture = data_mixture(config);
  if (flags.cls < mixture.num_components()) out.class_mixture = mixture.component(static_cast<int>(flags.cls));
  const bool oracle_model = network_registry().at(config.model.name).input == NetworkInput::kMixture;
  check_cfg_flags(config, flags, oracle_model);
  if (!flags.classifier.empty()) {
    use_classifier(config, flags, trained, weights, out);
  } else if (config.model.num_classes > 0) {
    use_conditional_network(flags, trained, out);
  } else {
    use_class_score(config, flags, trained, oracle_model, out);
  }
  return out;
}

}  // namespace hold
