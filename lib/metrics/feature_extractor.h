#pragma once
// A TorchScript feature extractor for FID (the user's Inception-v3 file).
// Calling convention: forward(x) takes float32 images [N, 3, H, W] with pixel
// values in [0, 255] (the uint8 values as floats, no normalisation) and
// returns the features [N, D] (a tuple or list: its first element). Resizing
// to 299×299 is the module's business, as in NVlabs' inception-2015-12-05.pt
// (call it with return_features=True through a one-line wrapper; see
// docs/evaluation.md). Grey images are repeated to 3 channels here.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <memory>
#include <string>

namespace hold {

class FeatureExtractor {
 public:
  /// Loads the TorchScript file; UsageError naming the path if it cannot.
  FeatureExtractor(const std::string& path, c10::Device device);
  ~FeatureExtractor();
  /// images: uint8 [N, H, W, C] (C = 1 or 3) → float64 features [N, D] on the CPU.
  at::Tensor features(const at::Tensor& images);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

}  // namespace hold
