// BlockMap: (M ⊗ I) u in its Kronecker and block-major forms equals the broadcast matmul of apply_blockwise(tensor, u).
#include "hold/sde/block_map.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include "hold/sde/blocks.h"
#include "support/allclose.h"

namespace hold {

TEST_CASE("BlockMap applies a small matrix blockwise in every form", "[sde]") {
  // Widths 1·2 and 3·2 (Kronecker form), 3·16 and 3·4·4 images (block-major form).
  const std::vector<int64_t> data_shape = GENERATE(std::vector<int64_t>{2}, std::vector<int64_t>{1, 4, 4},
                                                   std::vector<int64_t>{16}, std::vector<int64_t>{2, 2, 1});
  const int k = GENERATE(1, 3);
  CAPTURE(data_shape, k);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  std::vector<int64_t> shape{5};
  shape.insert(shape.end(), data_shape.begin(), data_shape.end());
  int64_t numel = 1;
  for (int64_t s : data_shape) numel *= s;
  auto u = at::normal(0, 1, state_shape(shape, k), gen, f64);
  auto s = at::normal(0, 1, shape, gen, f64);

  Mat m(k, k), col(k, 1), row(1, k);
  for (int i = 0; i < k; ++i) {
    col(i, 0) = 0.5 - i;
    row(0, i) = 1.5 * i - 0.25;
    for (int j = 0; j < k; ++j) m(i, j) = (i + 1) * 0.7 - j * 0.3 + (i == j);
  }
  const BlockMap square(m, numel, f64), inject(col, numel, f64), project(row, numel, f64);
  REQUIRE_ALLCLOSE(square.apply(u), apply_blockwise(to_tensor(m), u), 1e-13);

  // K×1: one block into all (here against the K×K map of [s; 0; …]).
  std::vector<at::Tensor> padded{s};
  for (int i = 1; i < k; ++i) padded.push_back(at::zeros_like(s));
  Mat col_square(k, k);
  for (int i = 0; i < k; ++i) col_square(i, 0) = col(i, 0);
  auto out = u.clone();
  inject.add_to(out, s);
  REQUIRE_ALLCLOSE(out, u + apply_blockwise(to_tensor(col_square), join_blocks(padded)), 1e-13);
  // 1×K: a row of blocks into one.
  REQUIRE_ALLCLOSE(project.apply(u), apply_row(row, 0, u), 1e-13);

  out = u.clone();
  square.add_to(out, u);
  REQUIRE_ALLCLOSE(out, u + apply_blockwise(to_tensor(m), u), 1e-13);
}

}  // namespace hold
