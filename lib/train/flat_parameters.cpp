#include "hold/train/flat_parameters.h"

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
  for (const auto& p : params) {  // set_data and mutable_grad act on the shared TensorImpl
    const int64_t n = p.numel();
    // The parameter's own strides (channels_last weights keep their layout):
    // any dense, non-overlapping layout fills exactly n consecutive elements.
    TORCH_CHECK(p.is_non_overlapping_and_dense(), "FlatParameters: a parameter that is not dense");
    auto value = values_.narrow(0, offset, n).as_strided(p.sizes(), p.strides());
    value.copy_(p);
    p.set_data(value);
    p.mutable_grad() = grads_.narrow(0, offset, n).as_strided(p.sizes(), p.strides());
    offset += n;
  }
}

at::Tensor FlatParameters::clip_grad_norm(double max_norm) {
  at::Tensor norm = grads_.norm();
  // torch.nn.utils.clip_grad_norm_'s rule: scale by max_norm / (norm + 1e-6),
  // clamped to 1 (so gradients under the limit are multiplied by exactly 1).
  if (max_norm > 0) grads_.mul_((max_norm / (norm + 1e-6)).clamp_max_(1.0));
  return norm;
}

}  // namespace hold
