#include "train/flat_parameters.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>

namespace hold {

FlatParameters::FlatParameters(torch::nn::Module& module) {
  const auto params = module.parameters(/*recurse=*/true);
  TORCH_CHECK(!params.empty(), "FlatParameters: the module has no parameters");
  int64_t total = 0;
  for (const auto& p : params) total += p.numel();
  values_ = at::empty({total}, params[0].options());
  grads_ = at::zeros({total}, params[0].options());
  at::NoGradGuard no_grad;
  int64_t offset = 0;
  for (auto p : params) {
    const int64_t n = p.numel();
    auto value = values_.narrow(0, offset, n).view(p.sizes());
    value.copy_(p);
    p.set_data(value);
    p.mutable_grad() = grads_.narrow(0, offset, n).view(p.sizes());
    offset += n;
  }
}

double FlatParameters::clip_grad_norm(double max_norm) {
  const double norm = grads_.norm().item<double>();
  // torch.nn.utils.clip_grad_norm_'s rule: scale by max_norm / (norm + 1e-6).
  if (max_norm > 0 && norm > max_norm) grads_.mul_(max_norm / (norm + 1e-6));
  return norm;
}

}  // namespace hold
