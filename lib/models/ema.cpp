#include "hold/models/ema.h"

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

/// The one buffer the parameters are consecutive, contiguous views of, or an
/// undefined tensor if they are not.
at::Tensor flat_buffer(const std::vector<at::Tensor>& params) {
  if (params.empty()) return {};
  const auto& first = params[0];
  int64_t offset = first.storage_offset();
  for (const auto& p : params) {
    if (!p.is_non_overlapping_and_dense() || p.storage_offset() != offset || p.scalar_type() != first.scalar_type() ||
        !p.storage().is_alias_of(first.storage())) {
      return {};
    }
    offset += p.numel();
  }
  return at::empty({0}, first.options())
      .set_(first.storage(), first.storage_offset(), {offset - first.storage_offset()}, {1});
}

}  // namespace

Ema::Ema(const torch::nn::Module& model, double decay) : decay_(decay) {
  if (!(decay >= 0.0 && decay < 1.0)) {
    throw std::invalid_argument("Ema: decay must be in [0, 1), got " + std::to_string(decay));
  }
  at::NoGradGuard no_grad;
  int64_t total = 0;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    names_.push_back(item.key());
    params_.push_back(item.value());
    total += item.value().numel();
  }
  if (params_.empty()) return;
  params_flat_ = flat_buffer(params_);
  shadow_flat_ = at::empty({total}, params_[0].options());
  int64_t offset = 0;
  for (const auto& p : params_) {
    shadow_.push_back(shadow_flat_.narrow(0, offset, p.numel()).as_strided(p.sizes(), p.strides()));
    shadow_.back().copy_(p);
    offset += p.numel();
  }
}

void Ema::update(const at::Tensor& skip) {
  at::NoGradGuard no_grad;
  if (skip.defined()) {
    // shadow ← shadow + w (θ − shadow) with w = (1 − decay)(1 − skip): a
    // skipped step leaves the average as it was, decided on the device.
    const at::Tensor w = (1.0 - skip) * (1.0 - decay_);
    if (params_flat_.defined()) {
      shadow_flat_.lerp_(params_flat_, w);
    } else {
      for (size_t i = 0; i < shadow_.size(); ++i) shadow_[i].lerp_(params_[i], w);
    }
    return;
  }
  if (params_flat_.defined()) {
    shadow_flat_.mul_(decay_).add_(params_flat_, /*alpha=*/1.0 - decay_);
    return;
  }
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
