#include "train/adam.h"

#include <ATen/ATen.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cmath>

namespace hold {

Adam::Adam(at::Tensor params, at::Tensor grads, double beta1, double beta2, double eps)
    : params_(std::move(params)),
      grads_(std::move(grads)),
      exp_avg_(at::zeros_like(params_)),
      exp_avg_sq_(at::zeros_like(params_)),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps) {
  TORCH_CHECK(params_.sizes() == grads_.sizes(), "Adam: parameter and gradient buffers differ in size");
}

void Adam::step(double lr) {
  at::NoGradGuard no_grad;
  ++steps_;
  const double bias_correction1 = 1 - std::pow(beta1_, static_cast<double>(steps_));
  const double bias_correction2 = 1 - std::pow(beta2_, static_cast<double>(steps_));
  exp_avg_.mul_(beta1_).add_(grads_, 1 - beta1_);
  exp_avg_sq_.mul_(beta2_).addcmul_(grads_, grads_, 1 - beta2_);
  const auto denom = (exp_avg_sq_.sqrt() / std::sqrt(bias_correction2)).add_(eps_);
  params_.addcdiv_(exp_avg_, denom, -lr / bias_correction1);
}

void Adam::save(torch::serialize::OutputArchive& archive) const {
  archive.write("step", c10::IValue(steps_));
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
  steps_ = step.toInt();
}

}  // namespace hold
