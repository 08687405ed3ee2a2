#include "hold/metrics/feature_extractor.h"

#include <ATen/ATen.h>
#include <torch/script.h>

#include "hold/core/error.h"

namespace hold {

struct FeatureExtractor::Impl {
  torch::jit::Module module;
  c10::Device device;
};

FeatureExtractor::FeatureExtractor(const std::string& path, c10::Device device) : path_(path) {
  try {
    impl_ = std::make_unique<Impl>(Impl{torch::jit::load(path, device), device});
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    throw UsageError("cannot load the TorchScript feature extractor: " + what.substr(0, what.find('\n')) + " (" + path +
                     ")");
  }
  impl_->module.eval();
}

FeatureExtractor::~FeatureExtractor() = default;

at::Tensor FeatureExtractor::features(const at::Tensor& images) {
  if (images.dim() != 4 || (images.size(3) != 1 && images.size(3) != 3) || images.scalar_type() != at::kByte) {
    throw UsageError("images must be uint8 [N, H, W, 1 or 3] (" + path_ + ")");
  }
  at::NoGradGuard no_grad;
  auto x = images.permute({0, 3, 1, 2}).to(impl_->device, at::kFloat).contiguous();
  if (x.size(1) == 1) x = x.expand({-1, 3, -1, -1}).contiguous();
  c10::IValue out;
  try {
    out = impl_->module.forward({x});
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    throw UsageError("the feature extractor failed on images " + std::to_string(x.size(2)) + "x" +
                     std::to_string(x.size(3)) + ": " + what.substr(0, what.find('\n')) + " (" + path_ + ")");
  }
  if (out.isTuple()) out = out.toTupleRef().elements()[0];
  if (out.isList()) out = out.toListRef()[0];
  if (!out.isTensor() || out.toTensor().dim() != 2 || out.toTensor().size(0) != x.size(0)) {
    throw UsageError("the feature extractor must return features [N, D] (" + path_ + ")");
  }
  return out.toTensor().to(at::kCPU, at::kDouble);
}

}  // namespace hold
