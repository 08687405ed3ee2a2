// PNG plots: the file decodes, and its pixels change where (and only where)
// the data put them, in the documented colours.
#include <ATen/ATen.h>
#include <stb_image.h>

#include <cmath>
#include <cstring>
#include <memory>

#include "hold/core/error.h"
#include "hold/io/plot.h"
#include "support/temp_dir.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {
namespace {

struct Image {
  int w = 0, h = 0;
  std::vector<unsigned char> rgb;
  const unsigned char* at(int x, int y) const { return &rgb[3 * (static_cast<size_t>(y) * w + x)]; }
};

Image load_png(const std::string& path) {
  Image im;
  int channels = 0;
  unsigned char* data = stbi_load(path.c_str(), &im.w, &im.h, &channels, 3);
  REQUIRE(data != nullptr);
  im.rgb.assign(data, data + static_cast<size_t>(im.w) * im.h * 3);
  stbi_image_free(data);
  return im;
}

/// Centroid (x, y) and count of the pixels where `a` and `b` differ.
struct Diff {
  double x = 0, y = 0;
  int64_t count = 0;
};
Diff diff(const Image& a, const Image& b) {
  Diff d;
  for (int y = 0; y < a.h; ++y)
    for (int x = 0; x < a.w; ++x)
      if (std::memcmp(a.at(x, y), b.at(x, y), 3) != 0) d.x += x, d.y += y, ++d.count;
  if (d.count) d.x /= d.count, d.y /= d.count;
  return d;
}

bool bluish(const unsigned char* p) { return p[2] > p[0] + 40; }
bool orangish(const unsigned char* p) { return p[0] > p[2] + 40; }

at::Tensor point(double x, double y) { return at::tensor(std::vector<double>{x, y}).view({1, 2}); }

}  // namespace

TEST_CASE("a scatter plot marks its points where they are", "[io][plot]") {
  test::TempDir dir;
  PlotOptions o;
  o.x_min = o.y_min = -1;
  o.x_max = o.y_max = 1;
  o.alpha = 1.0;
  write_scatter_png(dir.file("empty.png"), at::zeros({0, 2}), {}, o);
  write_scatter_png(dir.file("ur.png"), point(0.5, 0.5), {}, o);
  write_scatter_png(dir.file("ll.png"), point(-0.5, -0.5), {}, o);
  const Image empty = load_png(dir.file("empty.png")), ur = load_png(dir.file("ur.png")),
              ll = load_png(dir.file("ll.png"));
  CHECK(empty.w == 800);
  CHECK(empty.h == 800);
  const Diff d_ur = diff(empty, ur), d_ll = diff(empty, ll);
  // One small disc each (radius 1.6 px: a few pixels, not the whole image).
  CHECK(d_ur.count > 3);
  CHECK(d_ur.count < 40);
  CHECK(bluish(ur.at(static_cast<int>(d_ur.x), static_cast<int>(d_ur.y))));
  // (0.5, 0.5) is up and right of (−0.5, −0.5); the axes span 2 units over
  // ~700 px, so the discs are ~350 px apart on both axes.
  CHECK(d_ur.x - d_ll.x == Approx(350).margin(15));
  CHECK(d_ll.y - d_ur.y == Approx(350).margin(15));
  // And symmetric about the image centre, up to the margins' asymmetry.
  CHECK((d_ur.x + d_ll.x) / 2 == Approx(400).margin(40));
}

TEST_CASE("a scatter plot draws the reference in another colour, and skips NaN", "[io][plot]") {
  test::TempDir dir;
  PlotOptions o;
  o.x_min = o.y_min = -1;
  o.x_max = o.y_max = 1;
  o.alpha = 1.0;
  o.label = o.reference_label = "";  // no legend text in the comparison
  const at::Tensor nan_point = point(std::nan(""), 0.0);
  write_scatter_png(dir.file("base.png"), nan_point, point(0.9, 0.9), o);
  write_scatter_png(dir.file("both.png"), at::cat({nan_point, point(-0.5, 0.5)}), point(0.9, 0.9), o);
  const Image base = load_png(dir.file("base.png")), both = load_png(dir.file("both.png"));
  const Diff d = diff(base, both);
  REQUIRE(d.count > 3);
  CHECK(bluish(both.at(static_cast<int>(d.x), static_cast<int>(d.y))));
  // The reference point is orange; without a reference nothing is.
  write_scatter_png(dir.file("none.png"), nan_point, at::zeros({0, 2}), o);
  const auto count_orange = [](const Image& im) {
    int64_t n = 0;
    for (int y = 0; y < im.h; ++y)
      for (int x = 0; x < im.w; ++x) n += orangish(im.at(x, y));
    return n;
  };
  CHECK(count_orange(load_png(dir.file("none.png"))) == 0);
  CHECK(count_orange(base) > 3);
}

TEST_CASE("a histogram has bars only over the values' range, and a density curve", "[io][plot]") {
  test::TempDir dir;
  PlotOptions o;
  o.height = 500;
  o.x_min = -1;
  o.x_max = 1;
  o.bins = 40;
  const at::Tensor values = at::linspace(0.0, 0.5, 1000, at::kDouble);
  write_histogram_png(dir.file("h.png"), values, {}, {}, o);
  const Image h = load_png(dir.file("h.png"));
  CHECK(h.w == 800);
  CHECK(h.h == 500);
  int min_col = h.w, max_col = -1;
  for (int y = 0; y < h.h; ++y)
    for (int x = 0; x < h.w; ++x)
      if (bluish(h.at(x, y))) min_col = std::min(min_col, x), max_col = std::max(max_col, x);
  // [0, 0.5] of [−1, 1]: the bars lie right of the centre and end ~3/4 across.
  CHECK(min_col >= 400);
  CHECK(min_col <= 450);
  CHECK(max_col >= 580);
  CHECK(max_col <= 620);

  // A reference density (a wide Gaussian) adds a red curve.
  write_histogram_png(
      dir.file("d.png"), values, [](const at::Tensor& x) { return at::exp(-x * x / 2) / 2.5066; }, {}, o);
  const Image d = load_png(dir.file("d.png"));
  int64_t red = 0;
  for (int y = 0; y < d.h; ++y)
    for (int x = 0; x < d.w; ++x) red += d.at(x, y)[0] > 150 && d.at(x, y)[1] < 80 && d.at(x, y)[2] < 80;
  CHECK(red > 700);  // a 2-px line across ~700 px of panel
}

TEST_CASE("plot input errors are UsageErrors naming the path", "[io][plot]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(write_scatter_png(dir.file("p.png"), at::zeros({3, 3})),
                    Catch::Matchers::EndsWith("(" + dir.file("p.png") + ")"));
  CHECK_THROWS_AS(write_histogram_png(dir.file("q.png"), at::zeros({3, 2})), UsageError);
  CHECK_THROWS_AS(write_scatter_png(dir.path() + "/missing/p.png", at::zeros({3, 2})), UsageError);
}

}  // namespace hold
