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

/// The name a network registers its table under (a fine-tune that adds
/// labels to an unconditional checkpoint finds it by this name).
inline constexpr const char* kLabelEmbeddingName = "label_embed";

/// A table of num_classes + 1 rows of `dim` features drawn N(0, 1) from its
/// own seed (so adding it leaves the rest of a network's initial weights as
/// they were); the caller registers it.
std::shared_ptr<torch::nn::EmbeddingImpl> make_label_embedding(int64_t num_classes, int64_t dim, uint64_t seed);

/// A network's features with its labels added: features + table(labels),
/// labels [N] int64 in 0 … num_classes (∅ = num_classes); undefined labels:
/// the ∅ row for every one of the N rows. Without a table (an unconditional
/// network) the features unchanged, and labels must be undefined (`network`
/// names it in that error). The result has the dtype and device of
/// `features` [N, dim].
at::Tensor add_label_embedding(const std::shared_ptr<torch::nn::EmbeddingImpl>& table, const at::Tensor& features,
                               const at::Tensor& labels, const char* network);

}  // namespace hold
