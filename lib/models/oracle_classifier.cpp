#include "hold/models/oracle_classifier.h"

#include "hold/models/gaussian_mixture_oracle.h"

namespace hold {

int64_t OracleClassifier::num_classes() const { return oracle_.mixture().num_components(); }

at::Tensor OracleClassifier::log_probs(const at::Tensor& u, const at::Tensor& t) {
  return oracle_.log_responsibilities(u, t);
}

at::Tensor OracleClassifier::last_block_gradient(const at::Tensor& u, const at::Tensor& t, int64_t cls) {
  return oracle_.class_gradient(u, t, static_cast<int>(cls));
}

at::Tensor OracleClassifier::full_gradient(const at::Tensor& u, const at::Tensor& t, int64_t cls) {
  return oracle_.class_gradient(u, t, static_cast<int>(cls), /*all_blocks=*/true);
}

}  // namespace hold
