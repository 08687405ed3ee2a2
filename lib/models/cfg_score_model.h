#pragma once
// Classifier-free guidance (math.md §10.1): a class-conditional score s(u, t, y)
// and the unconditional s(u, t, ∅) of the same model combined as
//   s_w = (1 + w) s(u, t, y) − w s(u, t, ∅) = s(u, t, ∅) + (1 + w) [s(u, t, y) − s(u, t, ∅)],
// i.e. classifier guidance at scale 1 + w with the implicit classifier
// p(y | u) ∝ p(u | y)/p(u). w = 0 is the conditional model alone (returned
// as it is, bit for bit); one call evaluates both parts (2 network passes
// for w ≠ 0, counted as one NFE).
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "hold/models/score_model.h"

namespace hold {

class EpsScoreModel;

class ClassifierFreeGuidedModel : public ScoreModel {
 public:
  /// Both models must outlive this one.
  ClassifierFreeGuidedModel(ScoreModel& conditional, ScoreModel& unconditional, double scale);
  at::Tensor score(const at::Tensor& u, const at::Tensor& t) override;
  bool has_full_score() const override { return conditional_.has_full_score() && unconditional_.has_full_score(); }
  at::Tensor full_score(const at::Tensor& u, const at::Tensor& t) override;

 private:
  ScoreModel& conditional_;
  ScoreModel& unconditional_;
  double scale_;
};

/// A class-conditional network's score for one class label y:
/// EpsScoreModel::score_labelled with every sample labelled y.
class LabelledScoreModel : public ScoreModel {
 public:
  /// model must outlive this one; label in [0, num_classes).
  LabelledScoreModel(EpsScoreModel& model, int64_t label);
  at::Tensor score(const at::Tensor& u, const at::Tensor& t) override;
  bool has_full_score() const override;
  at::Tensor full_score(const at::Tensor& u, const at::Tensor& t) override;

 private:
  at::Tensor labels_for(const at::Tensor& u) const;
  EpsScoreModel& model_;
  int64_t label_;
};

}  // namespace hold
