#include "hold/models/guided_score_model.h"

#include <ATen/ATen.h>

namespace hold {

ClassifierGuidedModel::ClassifierGuidedModel(ScoreModel& base, Classifier& classifier, int64_t cls, double scale)
    : base_(base), classifier_(classifier), cls_(cls), scale_(scale) {
  TORCH_CHECK(cls >= 0 && cls < classifier.num_classes(), "ClassifierGuidedModel: no class ", cls);
}

at::Tensor ClassifierGuidedModel::score(const at::Tensor& u, const at::Tensor& t) {
  at::Tensor s = base_.score(u, t);
  if (scale_ == 0.0) return s;  // unguided bit for bit (0 · ∇ could still add −0 or NaN)
  return s + scale_ * classifier_.last_block_gradient(u, t, cls_);
}

at::Tensor ClassifierGuidedModel::full_score(const at::Tensor& u, const at::Tensor& t) {
  at::Tensor s = base_.full_score(u, t);
  if (scale_ == 0.0) return s;
  return s + scale_ * classifier_.full_gradient(u, t, cls_);
}

}  // namespace hold
