#include "hold/models/network_classifier.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include <utility>

#include "hold/models/eps_network.h"
#include "hold/sde/blocks.h"

namespace hold {

NetworkClassifier::NetworkClassifier(std::shared_ptr<EpsNetwork> net, int64_t num_classes, int64_t num_blocks)
    : net_(std::move(net)), num_classes_(num_classes), num_blocks_(num_blocks) {
  TORCH_CHECK(net_ != nullptr, "NetworkClassifier: no network");
  const auto params = net_->parameters();
  TORCH_CHECK(!params.empty(), "NetworkClassifier: the network has no parameters");
  probe_ = params.front();
}

at::Tensor NetworkClassifier::network_log_probs(const at::Tensor& u_net, const at::Tensor& t) {
  const at::Tensor t_net = t.to(probe_.scalar_type()).to(probe_.device(), /*non_blocking=*/true);
  const at::Tensor logits = net_->forward(u_net, t_net);
  TORCH_CHECK(logits.dim() == 2 && logits.size(1) == num_classes_, "NetworkClassifier: expected logits [N, ",
              num_classes_, "], got ", logits.sizes());
  return at::log_softmax(logits, 1);
}

at::Tensor NetworkClassifier::log_probs(const at::Tensor& u, const at::Tensor& t) {
  const at::Tensor u_net = u.to(probe_.device(), probe_.scalar_type());
  return network_log_probs(u_net, t).to(at::kDouble);
}

at::Tensor NetworkClassifier::full_gradient(const at::Tensor& u, const at::Tensor& t, int64_t cls) {
  TORCH_CHECK(cls >= 0 && cls < num_classes_, "NetworkClassifier: no class ", cls);
  at::AutoGradMode grad(true);  // the samplers run under a no-grad guard
  const at::Tensor u_net = u.detach().to(probe_.device(), probe_.scalar_type()).requires_grad_(true);
  // Samples are independent: the gradient of the sum is every sample's own.
  const at::Tensor total = network_log_probs(u_net, t).select(1, cls).sum();
  const at::Tensor g = torch::autograd::grad({total}, {u_net})[0];
  return g.to(u.device(), u.scalar_type());
}

at::Tensor NetworkClassifier::last_block_gradient(const at::Tensor& u, const at::Tensor& t, int64_t cls) {
  return last_block(full_gradient(u, t, cls), num_blocks_).contiguous();
}

}  // namespace hold
