#pragma once
// A trained noise-conditional classifier (hold-train's `classifier`
// objective): a network on the whole state u_t and the time whose J outputs
// are the class logits, log p_t(y | u) = log_softmax. Its gradient in the
// state comes by autograd (enabled here even under the samplers' no-grad
// guard), in the network's dtype.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>

#include "hold/models/classifier.h"

namespace hold {

class EpsNetwork;

class NetworkClassifier : public Classifier {
 public:
  /// net: u [N, K·C, ...], t [N] → logits [N, num_classes] (e.g. an Mlp with
  /// num_classes outputs), in evaluation mode on its device.
  NetworkClassifier(std::shared_ptr<EpsNetwork> net, int64_t num_classes, int64_t num_blocks);
  int64_t num_classes() const override { return num_classes_; }
  at::Tensor log_probs(const at::Tensor& u, const at::Tensor& t) override;
  at::Tensor last_block_gradient(const at::Tensor& u, const at::Tensor& t, int64_t cls) override;
  at::Tensor full_gradient(const at::Tensor& u, const at::Tensor& t, int64_t cls) override;

 private:
  /// log p_t(y | u) in the network's dtype and device for u there.
  at::Tensor network_log_probs(const at::Tensor& u_net, const at::Tensor& t);

  std::shared_ptr<EpsNetwork> net_;
  at::Tensor probe_;  // one parameter: the network's dtype and device
  int64_t num_classes_;
  int64_t num_blocks_;
};

}  // namespace hold
