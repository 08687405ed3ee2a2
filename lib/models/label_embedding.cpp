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

at::Tensor add_label_embedding(const std::shared_ptr<torch::nn::EmbeddingImpl>& table, const at::Tensor& features,
                               const at::Tensor& labels, const char* network) {
  if (!table) {
    TORCH_CHECK(!labels.defined(), network, ": this network takes no class labels (model.num_classes is 0)");
    return features;
  }
  const at::Tensor& weight = table->weight;
  // No labels: one broadcast row, no index tensor to build per call.
  if (!labels.defined()) return features + weight[weight.size(0) - 1].to(features.scalar_type());
  return features + table->forward(labels.to(features.device(), at::kLong)).to(features.scalar_type());
}

}  // namespace hold
