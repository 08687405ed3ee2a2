// Image grids and trajectory pictures: torchvision's pixel mapping, and the
// layout the header promises, checked pixel by pixel on the decoded PNG.
#include <ATen/ATen.h>
#include <stb_image.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include "hold/core/error.h"
#include "hold/io/image_grid.h"
#include "support/temp_dir.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {
namespace {

struct Png {
  int w = 0, h = 0, channels = 0;
  std::vector<unsigned char> px;  // as stored: `channels` bytes per pixel
  const unsigned char* at(int x, int y) const { return &px[channels * (static_cast<size_t>(y) * w + x)]; }
};

Png load(const std::string& path) {
  Png p;
  unsigned char* data = stbi_load(path.c_str(), &p.w, &p.h, &p.channels, 0);
  REQUIRE(data != nullptr);
  p.px.assign(data, data + static_cast<size_t>(p.w) * p.h * p.channels);
  stbi_image_free(data);
  return p;
}

/// A distinct byte per (image, channel, row, column).
int pattern(int64_t i, int64_t c, int64_t y, int64_t x) { return (i * 37 + c * 50 + y * 11 + x * 3) % 256; }

/// Images in [0, 1] whose uint8 pixels are pattern(): byte / 255 maps back exactly.
at::Tensor patterned(int64_t n, int64_t c, int64_t h, int64_t w) {
  at::Tensor t = at::empty({n, c, h, w}, at::kFloat);
  auto a = t.accessor<float, 4>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) a[i][k][y][x] = pattern(i, k, y, x) / 255.0f;
  return t;
}

}  // namespace

TEST_CASE("to_uint8_nhwc rounds half up, clamps, and orders NHWC", "[io][image_grid]") {
  const at::Tensor x = at::tensor({-1.0f, 1.0f, 0.0f, 2.0f, -3.0f, NAN, -0.5f}).view({1, 1, 1, 7});
  const at::Tensor u = to_uint8_nhwc(x);
  REQUIRE(u.scalar_type() == at::kByte);
  REQUIRE(u.sizes() == at::IntArrayRef({1, 1, 7, 1}));
  const std::vector<int> expected{0, 255, 128, 255, 0, 0, 64};  // −0.5 → 0.25·255 + 0.5 = 64.25
  for (int i = 0; i < 7; ++i) CHECK(u[0][0][i][0].item<int>() == expected[i]);

  // Uncentered: k / 255 → k for every byte, and 0.5 → 128 (half up).
  const at::Tensor k = at::arange(256, at::kFloat).view({1, 1, 16, 16}) / 255;
  CHECK(at::equal(to_uint8_nhwc(k, /*centered=*/false).view({-1}), at::arange(256, at::kByte)));
  CHECK(to_uint8_nhwc(at::full({1, 1, 1, 1}, 0.5), false).item<int>() == 128);

  // Channels last: out[i][y][x][c] is input [i][c][y][x].
  const at::Tensor rgb = patterned(2, 3, 2, 3);
  const at::Tensor v = to_uint8_nhwc(rgb, /*centered=*/false);
  REQUIRE(v.sizes() == at::IntArrayRef({2, 2, 3, 3}));
  REQUIRE(v.is_contiguous());
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < 2; ++y)
        for (int64_t x = 0; x < 3; ++x) CHECK(v[i][y][x][c].item<int>() == pattern(i, c, y, x));
  CHECK_THROWS_AS(to_uint8_nhwc(at::zeros({3, 4, 4})), UsageError);
}

TEST_CASE("an image grid puts tile (r, c) where the header says, in padding grey", "[io][image_grid]") {
  test::TempDir dir;
  for (const int64_t channels : {1, 3}) {
    // 5 images of 3×4, nrow 0 → 3 per row, 2 rows; scale 2, padding 2.
    const int64_t n = 5, h = 3, w = 4, scale = 2, pad = 2, cols = 3, rows = 2;
    const std::string path = dir.file("grid" + std::to_string(channels) + ".png");
    write_image_grid_png(path, patterned(n, channels, h, w), /*nrow=*/0, /*centered=*/false, pad, scale);
    const Png p = load(path);
    REQUIRE(p.channels == channels);
    REQUIRE(p.w == cols * (scale * w + pad) + pad);
    REQUIRE(p.h == rows * (scale * h + pad) + pad);
    int64_t wrong = 0;
    for (int y = 0; y < p.h; ++y) {
      for (int x = 0; x < p.w; ++x) {
        const int64_t c = (x - pad) / (scale * w + pad), xi = (x - pad) % (scale * w + pad);
        const int64_t r = (y - pad) / (scale * h + pad), yi = (y - pad) % (scale * h + pad);
        const int64_t i = r * cols + c;
        const bool in_tile = x >= pad && y >= pad && xi < scale * w && yi < scale * h && i < n;
        for (int k = 0; k < channels; ++k) {
          const int expected = in_tile ? pattern(i, k, yi / scale, xi / scale) : kGridPadValue;
          wrong += p.at(x, y)[k] != expected;
        }
      }
    }
    CHECK(wrong == 0);
  }
  // nrow larger than N: one row of N tiles, as torchvision.
  write_image_grid_png(dir.file("row.png"), at::zeros({2, 1, 5, 5}), /*nrow=*/8, true, /*padding=*/0);
  const Png row = load(dir.file("row.png"));
  CHECK(row.w == 10);
  CHECK(row.h == 5);
  CHECK(row.at(3, 3)[0] == 128);  // 0 in [−1, 1] is mid grey
  CHECK_THROWS_AS(write_image_grid_png(dir.file("c2.png"), at::zeros({2, 2, 5, 5})), UsageError);
  CHECK_THROWS_WITH(write_image_grid_png(dir.path() + "/missing/g.png", at::zeros({1, 1, 5, 5})),
                    Catch::Matchers::Contains(dir.path() + "/missing/g.png"));
}

TEST_CASE("a trajectory picture has a tile per (block, time), x in data scale and v, a per tile", "[io][image_grid]") {
  test::TempDir dir;
  // One sample, K = 3 blocks of 1 channel, 8×8 pixels: tiles enlarged 8× to 64 px.
  const int64_t k = 3, tile = 64, gap = 2, label_row = 26, margin = 8;
  const auto state = [&](int64_t samples, double x_value) {
    at::Tensor s = at::zeros({samples, k, 8, 8});
    s.select(1, 0).fill_(x_value);
    s.select(1, 2).copy_(at::randn({samples, 8, 8}) * 1e-3);  // tiny a: still spans the grey range
    return s;
  };
  const std::vector<double> times{1.0, 0.5, 0.1, 1e-3};
  std::vector<at::Tensor> states;
  for (size_t i = 0; i < times.size(); ++i) states.push_back(state(1, 1.0));
  write_trajectory_png(dir.file("t4.png"), states, times, k);
  write_trajectory_png(dir.file("t3.png"), {states.begin(), states.begin() + 3}, {1.0, 0.5, 0.1}, k);
  REQUIRE(std::filesystem::file_size(dir.file("t4.png")) > 0);
  const Png p4 = load(dir.file("t4.png")), p3 = load(dir.file("t3.png"));
  CHECK(p4.channels == 3);
  CHECK(p4.h == label_row + k * tile + (k - 1) * gap + margin);
  CHECK(p4.w - p3.w == tile + gap);  // one more column
  // The last column: x = 1 is white, v = 0 is mid grey, a spans black to white.
  const int cx = p4.w - margin - tile / 2;
  const auto row_y = [&](int64_t r, int64_t dy) { return static_cast<int>(label_row + r * (tile + gap) + dy); };
  for (int c = 0; c < 3; ++c) {
    CHECK(p4.at(cx, row_y(0, tile / 2))[c] == 255);
    CHECK(p4.at(cx, row_y(1, tile / 2))[c] == 128);
  }
  int lo = 255, hi = 0;
  for (int64_t dy = 0; dy < tile; ++dy)
    for (int64_t dx = -tile / 2; dx < tile / 2; ++dx) {
      const int g = p4.at(static_cast<int>(cx + dx), row_y(2, dy))[0];
      lo = std::min(lo, g), hi = std::max(hi, g);
    }
  CHECK(lo < 90);
  CHECK(hi > 166);

  // Two samples: rows are (sample, block) pairs, with 8 px more between samples.
  std::vector<at::Tensor> two;
  for (size_t i = 0; i < times.size(); ++i) two.push_back(state(2, 0.0));
  write_trajectory_png(dir.file("s2.png"), two, times, k);
  const Png s2 = load(dir.file("s2.png"));
  CHECK(s2.h == label_row + 2 * k * tile + (2 * k - 1) * gap + 8 + margin);

  CHECK_THROWS_AS(write_trajectory_png(dir.file("e.png"), states, {1.0}, k), UsageError);
  CHECK_THROWS_AS(write_trajectory_png(dir.file("e.png"), states, times, 2), UsageError);  // 3 channels in 2 blocks
  CHECK_THROWS_AS(write_trajectory_png(dir.file("e.png"), {states[0], two[0]}, {1.0, 0.5}, k), UsageError);
}

}  // namespace hold
