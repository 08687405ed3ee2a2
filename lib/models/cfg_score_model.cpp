#include "hold/models/cfg_score_model.h"

#include <ATen/ATen.h>

#include "hold/models/eps_score_model.h"

namespace hold {

ClassifierFreeGuidedModel::ClassifierFreeGuidedModel(ScoreModel& conditional, ScoreModel& unconditional, double scale)
    : conditional_(conditional), unconditional_(unconditional), scale_(scale) {}

at::Tensor ClassifierFreeGuidedModel::score(const at::Tensor& u, const at::Tensor& t) {
  at::Tensor s = conditional_.score(u, t);
  if (scale_ == 0.0) return s;  // the conditional model bit for bit
  return (1.0 + scale_) * s - scale_ * unconditional_.score(u, t);
}

at::Tensor ClassifierFreeGuidedModel::full_score(const at::Tensor& u, const at::Tensor& t) {
  at::Tensor s = conditional_.full_score(u, t);
  if (scale_ == 0.0) return s;
  return (1.0 + scale_) * s - scale_ * unconditional_.full_score(u, t);
}

LabelledScoreModel::LabelledScoreModel(EpsScoreModel& model, int64_t label) : model_(model), label_(label) {
  TORCH_CHECK(label >= 0 && label < model.num_classes(), "LabelledScoreModel: no class ", label);
}

at::Tensor LabelledScoreModel::labels_for(const at::Tensor& u) const {
  return at::full({u.size(0)}, label_, at::TensorOptions().dtype(at::kLong));
}

at::Tensor LabelledScoreModel::score(const at::Tensor& u, const at::Tensor& t) {
  return model_.score(u, t, labels_for(u));
}

bool LabelledScoreModel::has_full_score() const { return model_.has_full_score(); }

at::Tensor LabelledScoreModel::full_score(const at::Tensor& u, const at::Tensor& t) {
  return model_.full_score(u, t, labels_for(u));
}

}  // namespace hold
