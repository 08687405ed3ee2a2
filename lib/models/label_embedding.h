#pragma once
// The class input of a class-conditional network (classifier-free guidance,
// math.md §10.1): a learnt table of num_classes + 1 vectors, the last one the
// null label ∅, added to the network's time features (EDM's map_label idea).
// Mlp and Ncsnpp share it, so both read labels the same way.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>

namespace torch {
namespace nn {
class EmbeddingImpl;
}  // namespace nn
}  // namespace torch

namespace hold {

/// A table of num_classes + 1 rows of `dim` features drawn N(0, 1) from its
/// own seed (so adding it leaves the rest of a network's initial weights as
/// they were); the caller registers it.
std::shared_ptr<torch::nn::EmbeddingImpl> make_label_embedding(int64_t num_classes, int64_t dim, uint64_t seed);

/// features + table(labels), labels [N] int64 in 0 … num_classes (∅ = num_classes);
/// undefined labels: ∅ for every one of the N rows. The result has the dtype
/// and device of `features` [N, dim].
at::Tensor add_label_embedding(torch::nn::EmbeddingImpl& table, const at::Tensor& features, const at::Tensor& labels,
                               int64_t num_classes);

}  // namespace hold
