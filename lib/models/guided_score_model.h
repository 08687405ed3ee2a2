#pragma once
// Classifier guidance as a ScoreModel (math.md §10): the score of a base
// model plus w ∇_{u_K} log p_t(y | u_t) of a noise-conditional classifier,
//   s_w(u, t) = s(u, t) + w ∇_{u_K} log p_t(y | u),
// so every sampler (and inpainting) is guided without knowing it. w = 1 is
// Bayes' rule, the exact class-conditional score when both parts are exact;
// w > 1 sharpens towards the class. At w = 0 the base model's score is
// returned as it is (the classifier is not called): bit for bit unguided.
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "hold/models/classifier.h"
#include "hold/models/score_model.h"

namespace hold {

class ClassifierGuidedModel : public ScoreModel {
 public:
  /// base and classifier must outlive the model; cls in [0, J).
  ClassifierGuidedModel(ScoreModel& base, Classifier& classifier, int64_t cls, double scale);
  at::Tensor score(const at::Tensor& u, const at::Tensor& t) override;
  /// Where the base model has the full-state score, so has the guided one:
  /// ∇_u log p_t(u) + w ∇_u log p_t(y | u).
  bool has_full_score() const override { return base_.has_full_score(); }
  at::Tensor full_score(const at::Tensor& u, const at::Tensor& t) override;

 private:
  ScoreModel& base_;
  Classifier& classifier_;
  int64_t cls_;
  double scale_;
};

}  // namespace hold
