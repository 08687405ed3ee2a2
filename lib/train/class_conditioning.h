#pragma once
// Class-conditional sampling (issue 14; math.md §10): the score model
// hold-sample draws from for --class C, built over the run's model:
//   * the oracle with no guidance flags: the exact class score, the oracle of
//     component C alone (the classes of a mixture data set are its components);
//   * --classifier CKPT|oracle [--guidance-scale w] (w = 1 by default):
//     classifier guidance s + w ∇_{u_K} log p_t(C | u_t) over any model
//     (models/guided_score_model.h), with a classifier trained by hold-train's
//     `classifier` objective or the oracle's exact one (models/oracle_classifier.h).
//   * a class-conditional network (model.num_classes > 0): its score given
//     the class, with --cfg-scale w classifier-free guidance
//     (1 + w) s(u, t, C) − w s(u, t, ∅) (models/cfg_score_model.h); the
//     oracle takes --cfg-scale too, with its class score as s(u, t, C).
// Every bad combination is a one-line UsageError naming the flag.
#include <cstdint>
#include <memory>
#include <string>

#include "hold/core/gaussian_mixture.h"
#include "hold/train/checkpoint.h"

namespace hold {

class Classifier;
class EpsNetwork;
class ScoreModel;
struct TrainedModel;

/// hold-sample's class flags.
struct ClassFlags {
  int64_t cls = -1;             ///< --class (−1: unconditional)
  bool guidance_given = false;  ///< whether --guidance-scale was given
  double guidance_scale = 1.0;  ///< --guidance-scale w
  std::string classifier;       ///< --classifier: a checkpoint path, "oracle", or "" (none)
  bool cfg_given = false;       ///< whether --cfg-scale was given
  double cfg_scale = 0.0;       ///< --cfg-scale w: classifier-free guidance

  bool conditional() const { return cls >= 0; }
};

/// The `--classifier oracle` keyword.
inline constexpr const char* kOracleClassifier = "oracle";

/// What class-conditional sampling draws from; owns every part it built.
struct ClassConditionedModel {
  ScoreModel* model = nullptr;  ///< what the sampler calls (the run's own model when unconditional)
  /// The class's law where the data are a mixture: its component (metrics, plots).
  GaussianMixture class_mixture;
  std::unique_ptr<ScoreModel> class_score;  ///< the oracle of one component
  std::unique_ptr<ScoreModel> oracle;       ///< the data mixture's oracle behind --classifier oracle
  std::shared_ptr<EpsNetwork> classifier_net;
  std::unique_ptr<Classifier> classifier;
  std::unique_ptr<ScoreModel> guided;
  std::unique_ptr<ScoreModel> labelled;  ///< a class-conditional network's score of the class
  std::unique_ptr<ScoreModel> cfg;       ///< classifier-free guidance over it

  ClassConditionedModel();
  ClassConditionedModel(ClassConditionedModel&&) noexcept;
  ~ClassConditionedModel();
};

/// The model for `flags` over the run's `trained` model (config: the run's
/// resolved config; weights: which weights of a classifier checkpoint).
/// Without --class the run's model as it is (nothing wrapped). Throws
/// UsageError naming --class, --guidance-scale or --classifier.
ClassConditionedModel condition_on_class(const RunConfig& config, const TrainedModel& trained, const ClassFlags& flags,
                                         WeightSet weights = WeightSet::kEma);

}  // namespace hold
