#include "hold/models/label_embedding.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/modules/embedding.h>

namespace hold {

std::shared_ptr<torch::nn::EmbeddingImpl> make_label_embedding(int64_t num_classes, int64_t dim, uint64_t seed) {
  auto table = std::make_shared<torch::nn::EmbeddingImpl>(torch::nn::EmbeddingOptions(num_classes + 1, dim));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  at::NoGradGuard no_grad;
  table->weight.normal_(0.0, 1.0, gen);
  return table;
}

at::Tensor add_label_embedding(torch::nn::EmbeddingImpl& table, const at::Tensor& features, const at::Tensor& labels,
                               int64_t num_classes) {
  const auto opts = at::TensorOptions().dtype(at::kLong).device(features.device());
  const at::Tensor y = labels.defined() ? labels.to(opts) : at::full({features.size(0)}, num_classes, opts);
  return features + table.forward(y).to(features.scalar_type());
}

}  // namespace hold
