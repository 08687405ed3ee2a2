#include "hold/models/mlp.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include <cmath>

#include "hold/models/label_embedding.h"

namespace hold {

MlpImpl::MlpImpl(const MlpOptions& options_) : options(options_) {
  TORCH_CHECK(options.layers() >= 2, "Mlp: layers must be >= 2, got ", options.layers());
  TORCH_CHECK(options.in_features() >= 1 && options.out_features() >= 1 && options.hidden() >= 1,
              "Mlp: feature sizes must be positive");
  reset();
}

void MlpImpl::reset() {
  embed_ = register_module("embed", TimeEmbedding(TimeEmbeddingOptions(options.embedding()).seed(options.seed() + 1)));
  layers_.clear();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed());
  const int64_t n = options.layers();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t in = i == 0 ? options.in_features() + options.embedding().dim() : options.hidden();
    const int64_t out = i == n - 1 ? options.out_features() : options.hidden();
    auto layer = register_module("fc" + std::to_string(i), torch::nn::Linear(torch::nn::LinearOptions(in, out)));
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    at::NoGradGuard no_grad;
    layer->weight.uniform_(-bound, bound, gen);
    layer->bias.uniform_(-bound, bound, gen);
    layers_.push_back(layer);
  }
  label_embed_.reset();
  if (options.num_classes() > 0) {
    // Its own seed: an unconditional network's weights stay as they were.
    label_embed_ =
        register_module(kLabelEmbeddingName,
                        make_label_embedding(options.num_classes(), options.embedding().dim(), options.seed() + 2));
  }
}

at::Tensor MlpImpl::forward(const at::Tensor& u, const at::Tensor& t) { return forward_labelled(u, t, {}); }

at::Tensor MlpImpl::forward_labelled(const at::Tensor& u, const at::Tensor& t, const at::Tensor& labels) {
  const at::Tensor temb = add_label_embedding(label_embed_, embed_->forward(t), labels, "Mlp");
  auto h = at::cat({u, temb}, 1);
  const size_t n = layers_.size();
  for (size_t i = 0; i + 1 < n; ++i) h = at::silu(layers_[i]->forward(h));
  return layers_[n - 1]->forward(h);
}

}  // namespace hold
