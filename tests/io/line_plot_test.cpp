// Line plots of training curves: the requested size, one colour per series,
// stacked panels, and input errors naming the path.
#include <stb_image.h>

#include <cmath>
#include <vector>

#include "hold/core/error.h"
#include "hold/io/plot.h"
#include "support/temp_dir.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {
namespace {

struct Rgb8 {
  int w = 0, h = 0;
  std::vector<unsigned char> px;
  int64_t count(bool (*pred)(const unsigned char*)) const {
    int64_t n = 0;
    for (size_t i = 0; i < px.size(); i += 3) n += pred(&px[i]);
    return n;
  }
};

Rgb8 load_rgb(const std::string& path) {
  Rgb8 im;
  int channels = 0;
  unsigned char* data = stbi_load(path.c_str(), &im.w, &im.h, &channels, 3);
  REQUIRE(data != nullptr);
  im.px.assign(data, data + static_cast<size_t>(im.w) * im.h * 3);
  stbi_image_free(data);
  return im;
}

bool bluish(const unsigned char* p) { return p[2] > p[0] + 60; }
bool orangish(const unsigned char* p) { return p[0] > p[2] + 60 && p[1] > 80; }

Series decay(const std::string& name, double scale, int n = 200) {
  Series s{name, {}, {}};
  for (int i = 0; i < n; ++i) s.xs.push_back(10.0 * i), s.ys.push_back(scale * std::exp(-0.02 * i) + 1e-4);
  return s;
}

}  // namespace

TEST_CASE("a line plot has the requested size and a colour per series", "[io][plot][image_grid]") {
  test::TempDir dir;
  PlotOptions o;
  o.width = 640;
  o.height = 480;
  o.title = "loss";
  o.log_y = true;
  Series with_gaps = decay("eval", 3.0, 50);
  with_gaps.ys[10] = NAN;   // breaks the line
  with_gaps.ys[20] = -1.0;  // not on a log axis: skipped
  write_line_plot_png(dir.file("one.png"), {decay("train", 1.0), with_gaps}, o);
  const Rgb8 one = load_rgb(dir.file("one.png"));
  CHECK(one.w == 640);
  CHECK(one.h == 480);
  CHECK(one.count(bluish) > 300);  // a 1.5-px line across ~550 px
  CHECK(one.count(orangish) > 100);

  // Linear y, one series: no orange anywhere.
  o.log_y = false;
  write_line_plot_png(dir.file("lin.png"), {decay("lr", 1e-3)}, o);
  CHECK(load_rgb(dir.file("lin.png")).count(orangish) == 0);

  // Stacked panels: as tall as their sum, as wide as the widest.
  PlotOptions narrow = o;
  narrow.width = 500;
  narrow.height = 300;
  write_line_plots_png(dir.file("two.png"), {{decay("a", 1.0)}, {decay("b", 2.0)}}, {o, narrow});
  const Rgb8 two = load_rgb(dir.file("two.png"));
  CHECK(two.w == 640);
  CHECK(two.h == 780);
}

TEST_CASE("line plot input errors are UsageErrors naming the path", "[io][plot][image_grid]") {
  test::TempDir dir;
  Series bad{"bad", {1, 2, 3}, {1, 2}};
  CHECK_THROWS_WITH(write_line_plot_png(dir.file("p.png"), {bad}),
                    Catch::Matchers::EndsWith("(" + dir.file("p.png") + ")"));
  PlotOptions log_limits;
  log_limits.log_y = true;
  log_limits.y_min = 0;
  log_limits.y_max = 1;
  CHECK_THROWS_AS(write_line_plot_png(dir.file("q.png"), {decay("a", 1.0)}, log_limits), UsageError);
  CHECK_THROWS_AS(write_line_plots_png(dir.file("r.png"), {{decay("a", 1.0)}}, {}), UsageError);
  // No finite points at all is still a picture (empty axes), as the scatter plot.
  write_line_plot_png(dir.file("empty.png"), {Series{"none", {}, {}}});
  CHECK(load_rgb(dir.file("empty.png")).w == 800);
}

}  // namespace hold
