#include "hold/train/adam.h"

#include <ATen/ATen.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cmath>
#include <optional>

namespace hold {

Adam::Adam(at::Tensor params, at::Tensor grads, double beta1, double beta2, double eps)
    : params_(std::move(params)),
      grads_(std::move(grads)),
      exp_avg_(at::zeros_like(params_)),
      exp_avg_sq_(at::zeros_like(params_)),
      steps_(at::zeros({}, params_.options().dtype(at::kFloat))),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps) {
  TORCH_CHECK(params_.sizes() == grads_.sizes(), "Adam: parameter and gradient buffers differ in size");
}

void Adam::step(double lr, const at::Tensor& skip) {
  at::NoGradGuard no_grad;
  steps_.add_(1);
  std::optional<at::Tensor> found_inf;
  if (skip.defined()) found_inf = skip;
  at::_fused_adam_({params_}, {grads_}, {exp_avg_}, {exp_avg_sq_}, /*max_exp_avg_sqs=*/{}, {steps_}, lr, beta1_, beta2_,
                   /*weight_decay=*/0.0, eps_, /*amsgrad=*/false, /*maximize=*/false, /*grad_scale=*/std::nullopt,
                   found_inf);
  // The kernel leaves everything as it was on a skipped step but the count,
  // which torch.optim's fused path also takes back.
  if (skip.defined()) steps_.sub_(skip);
}

int64_t Adam::steps() const { return static_cast<int64_t>(steps_.item<float>()); }

void Adam::save(torch::serialize::OutputArchive& archive) const {
  archive.write("step", c10::IValue(steps()));
  archive.write("exp_avg", exp_avg_, /*is_buffer=*/true);
  archive.write("exp_avg_sq", exp_avg_sq_, /*is_buffer=*/true);
}

void Adam::load(torch::serialize::InputArchive& archive) {
  c10::IValue step;
  at::Tensor exp_avg, exp_avg_sq;
  archive.read("step", step);
  archive.read("exp_avg", exp_avg, /*is_buffer=*/true);
  archive.read("exp_avg_sq", exp_avg_sq, /*is_buffer=*/true);
  TORCH_CHECK(step.isInt() && exp_avg.sizes() == exp_avg_.sizes() && exp_avg_sq.sizes() == exp_avg_sq_.sizes(),
              "Adam state of another size (", exp_avg.numel(), " values, this network has ", exp_avg_.numel(), ")");
  at::NoGradGuard no_grad;
  exp_avg_.copy_(exp_avg);
  exp_avg_sq_.copy_(exp_avg_sq);
  steps_.fill_(static_cast<double>(step.toInt()));
}

}  // namespace hold
