#pragma once
// BlockMap: a small matrix applied blockwise, (M ⊗ I) u, prepared once for one
// state layout so that a sampler step costs one tensor op per map (math.md §1:
// data dimensions never mix). Used by the samplers and by apply_blockwise.
//
// Why not sde/blocks.h's apply_blockwise: its broadcast matmul runs N tiny
// GEMMs, ~18 µs for a [512, 3·2] state, an order of magnitude more than the
// sampler's whole per-step budget. Here the map picks, once, the fastest form:
//   * one block of ≤ kKronMaxWidth numbers (toy data): a single GEMM with the
//     (cols·d) × (rows·d) matrix Mᵀ ⊗ I_d on a GPU; on the CPU a direct loop
//     over the samples (~2 µs for [512, 3·2]: MKL's GEMM takes 7-13 µs on
//     such skinny shapes, the sampler's whole per-step budget);
//   * otherwise (images): a block-major GEMM M · [K, N·d], never a (K·d)² matrix.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "hold/sde/mat.h"

namespace hold {

class BlockMap {
 public:
  /// Widest state (numbers per sample) handled by the Kronecker form.
  static constexpr int64_t kKronMaxWidth = 32;

  BlockMap() = default;
  /// m: rows × cols (cols blocks in, rows blocks out; e.g. K×K, 1×K or K×1);
  /// block_numel: numbers per block per sample (C·H·W); options: the state's
  /// dtype and device.
  BlockMap(const Mat& m, int64_t block_numel, const at::TensorOptions& options);

  /// (m ⊗ I) u: u [N, cols·C, ...] → a new [N, rows·C, ...].
  at::Tensor apply(const at::Tensor& u) const;
  /// out += (m ⊗ I) u in place; out is contiguous [N, rows·C, ...].
  void add_to(const at::Tensor& out, const at::Tensor& u) const;

 private:
  enum class Form { kScalar, kKron, kBlockMajor };
  std::vector<int64_t> out_shape(const at::Tensor& u) const;
  /// (m ⊗ I) u as [rows, N, d] (block-major form).
  at::Tensor block_major(const at::Tensor& u) const;

  Form form_ = Form::kScalar;
  int64_t rows_ = 0, cols_ = 0, block_numel_ = 0;
  double scalar_ = 0.0;
  at::Tensor matrix_;      // kKron: Mᵀ ⊗ I_d; kBlockMajor: M
  std::vector<double> m_;  // kKron: M, row-major (the CPU loop)
  /// kKron on the CPU: out (+)= (M ⊗ I) u by a loop over samples; false
  /// when u or out is not a contiguous CPU float/double tensor.
  bool kron_cpu(const at::Tensor& u, const at::Tensor& out, bool accumulate) const;
};

}  // namespace hold
