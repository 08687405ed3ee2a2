#include "hold/sde/block_map.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>

#include "hold/sde/blocks.h"

namespace hold {

BlockMap::BlockMap(const Mat& m, int64_t block_numel, const at::TensorOptions& options)
    : rows_(m.rows()), cols_(m.cols()), block_numel_(block_numel) {
  if (rows_ == 1 && cols_ == 1) {
    form_ = Form::kScalar;
    scalar_ = m(0, 0);
  } else if (std::max(rows_, cols_) * block_numel <= kKronMaxWidth) {
    // Mᵀ ⊗ I_d, [cols·d, rows·d], filled directly (at::kron costs more than a sampler step).
    form_ = Form::kKron;
    const int64_t d = block_numel, width = rows_ * d;
    std::vector<double> w(static_cast<size_t>(cols_ * d * width), 0.0);
    for (int64_t r = 0; r < rows_; ++r)
      for (int64_t c = 0; c < cols_; ++c)
        for (int64_t i = 0; i < d; ++i) w[(c * d + i) * width + r * d + i] = m(r, c);
    matrix_ =
        at::from_blob(w.data(), {cols_ * d, width}, at::kDouble).to(options, /*non_blocking=*/false, /*copy=*/true);
    for (int64_t r = 0; r < rows_; ++r)
      for (int64_t c = 0; c < cols_; ++c) m_.push_back(m(r, c));
  } else {
    form_ = Form::kBlockMajor;
    matrix_ = to_tensor(m).to(options);
  }
}

namespace {

template <typename T>
void kron_loop(const std::vector<double>& m, int64_t rows, int64_t cols, int64_t d, const T* u, T* out, int64_t n,
               bool accumulate) {
  // One sample is a few dozen multiply-adds: split only large batches.
  at::parallel_for(0, n, /*grain_size=*/4096, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      const T* us = u + s * cols * d;
      T* os = out + s * rows * d;
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t i = 0; i < d; ++i) {
          double acc = accumulate ? static_cast<double>(os[r * d + i]) : 0.0;
          for (int64_t c = 0; c < cols; ++c) acc += m[r * cols + c] * static_cast<double>(us[c * d + i]);
          os[r * d + i] = static_cast<T>(acc);
        }
      }
    }
  });
}

}  // namespace

bool BlockMap::kron_cpu(const at::Tensor& u, const at::Tensor& out, bool accumulate) const {
  if (!u.is_cpu() || !out.is_cpu() || !u.is_contiguous() || !out.is_contiguous() ||
      u.scalar_type() != out.scalar_type()) {
    return false;
  }
  const int64_t n = u.size(0);
  if (u.scalar_type() == at::kFloat) {
    kron_loop(m_, rows_, cols_, block_numel_, u.data_ptr<float>(), out.data_ptr<float>(), n, accumulate);
  } else if (u.scalar_type() == at::kDouble) {
    kron_loop(m_, rows_, cols_, block_numel_, u.data_ptr<double>(), out.data_ptr<double>(), n, accumulate);
  } else {
    return false;
  }
  return true;
}

std::vector<int64_t> BlockMap::out_shape(const at::Tensor& u) const {
  std::vector<int64_t> shape(u.sizes().begin(), u.sizes().end());
  shape[1] = shape[1] / cols_ * rows_;
  return shape;
}

at::Tensor BlockMap::block_major(const at::Tensor& u) const {
  const int64_t n = u.size(0);
  auto u_bm = u.reshape({n, cols_, block_numel_}).transpose(0, 1).reshape({cols_, n * block_numel_});
  return at::mm(matrix_, u_bm).view({rows_, n, block_numel_});
}

at::Tensor BlockMap::apply(const at::Tensor& u) const {
  switch (form_) {
    case Form::kScalar: return u * scalar_;
    case Form::kKron: {
      if (u.is_cpu()) {  // the direct loop (no allocation on other devices)
        at::Tensor out = at::empty(out_shape(u), u.options());
        if (kron_cpu(u, out, /*accumulate=*/false)) return out;
      }
      return at::mm(u.reshape({u.size(0), -1}), matrix_).view(out_shape(u));
    }
    case Form::kBlockMajor: return block_major(u).transpose(0, 1).reshape(out_shape(u));
  }
  return {};
}

void BlockMap::add_to(const at::Tensor& out, const at::Tensor& u) const {
  const int64_t n = u.size(0);
  switch (form_) {
    case Form::kScalar: out.add_(u, scalar_); return;
    case Form::kKron:
      if (kron_cpu(u, out, /*accumulate=*/true)) return;
      out.view({n, -1}).addmm_(u.reshape({n, -1}), matrix_);
      return;
    case Form::kBlockMajor: out.view({n, rows_, block_numel_}).add_(block_major(u).transpose(0, 1)); return;
  }
}

}  // namespace hold
