#include "models/ema.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <stdexcept>

namespace hold {
namespace {

/// The parameter of `model` called `name`; throws if it has none.
at::Tensor parameter_named(const torch::nn::Module& model, const std::string& name) {
  const auto named = model.named_parameters(/*recurse=*/true);
  const at::Tensor* p = named.find(name);
  if (p == nullptr) throw std::invalid_argument("Ema: the model has no parameter '" + name + "'");
  return *p;
}

}  // namespace

Ema::Ema(const torch::nn::Module& model, double decay) : decay_(decay) {
  if (!(decay >= 0.0 && decay < 1.0)) {
    throw std::invalid_argument("Ema: decay must be in [0, 1), got " + std::to_string(decay));
  }
  at::NoGradGuard no_grad;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    names_.push_back(item.key());
    params_.push_back(item.value());
    shadow_.push_back(item.value().detach().clone());
  }
}

void Ema::update() {
  at::NoGradGuard no_grad;
  at::_foreach_mul_(shadow_, decay_);
  at::_foreach_add_(shadow_, params_, /*alpha=*/1.0 - decay_);
}

void Ema::copy_to(torch::nn::Module& model) const {
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < names_.size(); ++i) parameter_named(model, names_[i]).copy_(shadow_[i]);
}

void Ema::copy_from(const torch::nn::Module& model) {
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < names_.size(); ++i) shadow_[i].copy_(parameter_named(model, names_[i]));
}

void Ema::set_shadow(const std::string& name, const at::Tensor& value) {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] != name) continue;
    if (!value.sizes().equals(shadow_[i].sizes())) {
      throw std::invalid_argument("Ema: shape mismatch for '" + name + "'");
    }
    at::NoGradGuard no_grad;
    shadow_[i].copy_(value);
    return;
  }
  throw std::invalid_argument("Ema: no parameter '" + name + "'");
}

}  // namespace hold
