#include "hold/sde/blocks.h"

#include "hold/sde/block_map.h"

#include <ATen/ATen.h>

namespace hold {

at::Tensor block(const at::Tensor& u, int64_t num_blocks, int64_t k) {
  const int64_t width = u.size(1) / num_blocks;
  return u.narrow(1, k * width, width);
}

at::Tensor last_block(const at::Tensor& u, int64_t num_blocks) { return block(u, num_blocks, num_blocks - 1); }

at::Tensor join_blocks(const std::vector<at::Tensor>& blocks) {
  if (blocks.size() == 1) return blocks[0];
  return at::cat(blocks, 1);
}

std::vector<int64_t> state_shape(at::IntArrayRef data_shape, int64_t num_blocks) {
  std::vector<int64_t> shape(data_shape.begin(), data_shape.end());
  shape[1] *= num_blocks;
  return shape;
}

at::Tensor to_tensor(const Mat& m, at::ScalarType dtype, at::Device device) {
  auto t = at::empty({m.rows(), m.cols()}, at::kDouble);
  auto acc = t.accessor<double, 2>();
  for (int i = 0; i < m.rows(); ++i)
    for (int j = 0; j < m.cols(); ++j) acc[i][j] = m(i, j);
  return t.to(device, dtype);
}

at::Tensor apply_blockwise(const at::Tensor& m, const at::Tensor& u) {
  const int64_t k = m.size(0);
  if (k == 1) return u * m.reshape({});
  auto u3 = u.reshape({u.size(0), k, -1});
  return at::matmul(m, u3).view(u.sizes());
}

at::Tensor apply_blockwise(const Mat& m, const at::Tensor& u) {
  // BlockMap picks the fastest form once (a Kronecker GEMM for narrow states).
  return BlockMap(m, u.numel() / (u.size(0) * m.cols()), u.options()).apply(u);
}

at::Tensor apply_blockwise_batched(const at::Tensor& m, const at::Tensor& u) {
  const int64_t k = m.size(1);
  auto u3 = u.reshape({u.size(0), k, -1});
  return at::bmm(m.to(u.scalar_type()), u3).view(u.sizes());
}

at::Tensor apply_row(const Mat& m, int r, const at::Tensor& u) {
  const int64_t k = m.cols();
  at::Tensor out;
  for (int64_t j = 0; j < k; ++j) {
    const double c = m(r, static_cast<int>(j));
    if (c == 0.0) continue;
    auto term = block(u, k, j) * c;
    out = out.defined() ? out + term : term;
  }
  return out.defined() ? out : at::zeros_like(block(u, k, 0));
}

}  // namespace hold
