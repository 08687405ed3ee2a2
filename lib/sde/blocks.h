#pragma once
// Block views of the augmented state (style.md §5.1). A state tensor is
// [N, K·C, H, W] for images or [N, K·d] for vectors, blocks stacked on dim 1 in
// the order x, v, a, …. Only these helpers reshape into blocks; everyone else
// calls them. Data dimensions never mix: a K×K matrix acts blockwise.
#include <ATen/core/Tensor.h>

#include <vector>

#include "hold/sde/mat.h"

namespace hold {

/// View of block k (0 = x) of a state with num_blocks blocks: [N, C, ...].
at::Tensor block(const at::Tensor& u, int64_t num_blocks, int64_t k);
/// The last (noisy) block.
at::Tensor last_block(const at::Tensor& u, int64_t num_blocks);
/// Stack blocks [N, C, ...] on dim 1 into a state [N, K·C, ...].
at::Tensor join_blocks(const std::vector<at::Tensor>& blocks);
/// Shape of the state whose x block has shape data_shape ([N, C, ...]).
std::vector<int64_t> state_shape(at::IntArrayRef data_shape, int64_t num_blocks);

/// m as a tensor (float64 by default, on the CPU unless given).
at::Tensor to_tensor(const Mat& m, at::ScalarType dtype = at::kDouble, at::Device device = at::kCPU);
/// (m ⊗ I) u: out_k = Σ_j m_kj u_j for every data coordinate. m is K×K.
at::Tensor apply_blockwise(const Mat& m, const at::Tensor& u);
/// The same with a precomputed m tensor ([K, K], u's dtype and device), as one
/// broadcast matmul (N small GEMMs: slow for narrow states; BlockMap is faster).
at::Tensor apply_blockwise(const at::Tensor& m, const at::Tensor& u);
/// Per-sample matrices: m [N, K, K], out[n]_k = Σ_j m[n]_kj u[n]_j.
at::Tensor apply_blockwise_batched(const at::Tensor& m, const at::Tensor& u);
/// Row r of m applied blockwise: Σ_j m_rj u_j, shape of one block.
at::Tensor apply_row(const Mat& m, int r, const at::Tensor& u);

}  // namespace hold
