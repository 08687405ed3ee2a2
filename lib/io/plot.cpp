#include "hold/io/plot.h"

#include <ATen/ATen.h>
#include <stb_image_write.h>  // implementation: libstb (linked by lib/CMakeLists.txt)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_easy_font.h>  // header-only, static functions
#pragma GCC diagnostic pop

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <string>
#include <vector>

#include "hold/core/error.h"
#include "hold/io/atomic_file.h"

namespace hold {
namespace {

using Rgb = std::array<float, 3>;
constexpr Rgb kBackground{248, 248, 246};
constexpr Rgb kPanel{255, 255, 255};
constexpr Rgb kInk{60, 60, 60};
constexpr Rgb kGrid{232, 232, 232};
constexpr Rgb kBlue{31, 119, 180};
constexpr Rgb kOrange{255, 127, 14};
constexpr Rgb kRed{200, 30, 30};
// Line plots: matplotlib's tab10 order, so curves look familiar.
constexpr Rgb kPalette[] = {kBlue,         kOrange,         {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
                            {140, 86, 75}, {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};

// Margins around the axes, in pixels: room for tick labels and the title.
constexpr int kLeft = 70, kRight = 20, kTop = 40, kBottom = 45;
constexpr float kTextScale = 2.0f;  // stb_easy_font glyphs are ~7 px tall

/// The glyph rectangles of `s` (x0, y0, x1, y1 at scale 1, origin top-left).
std::vector<std::array<float, 4>> text_rects(const std::string& s) {
  std::vector<char> str(s.begin(), s.end());
  str.push_back('\0');
  std::vector<char> buffer(300 * s.size() + 1024);
  const int quads = stb_easy_font_print(0, 0, str.data(), nullptr, buffer.data(), static_cast<int>(buffer.size()));
  const auto* v = reinterpret_cast<const float*>(buffer.data());  // x, y, z, rgba: 4 floats per vertex
  std::vector<std::array<float, 4>> rects(static_cast<size_t>(quads));
  for (size_t q = 0; q < rects.size(); ++q) {
    const float* quad = v + 16 * q;  // 4 vertices; the first and the third are opposite corners
    rects[q] = {quad[0], quad[1], quad[8], quad[9]};
  }
  return rects;
}

float text_width_at(const std::string& s, float scale) {
  std::vector<char> str(s.begin(), s.end());
  str.push_back('\0');
  return stb_easy_font_width(str.data()) * scale;
}

/// An RGB float image with alpha blending.
class Canvas {
 public:
  Canvas(int w, int h, Rgb fill) : w_(w), h_(h), px_(static_cast<size_t>(w) * h, fill) {}
  int width() const { return w_; }
  int height() const { return h_; }

  void blend(int x, int y, const Rgb& c, float a) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_ || a <= 0) return;
    Rgb& p = px_[static_cast<size_t>(y) * w_ + x];
    for (int k = 0; k < 3; ++k) p[k] += (c[k] - p[k]) * std::min(a, 1.0f);
  }
  void fill_rect(float x0, float y0, float x1, float y1, const Rgb& c, float a = 1) {
    for (int y = static_cast<int>(std::floor(std::min(y0, y1))); y < static_cast<int>(std::ceil(std::max(y0, y1))); ++y)
      for (int x = static_cast<int>(std::floor(std::min(x0, x1))); x < static_cast<int>(std::ceil(std::max(x0, x1)));
           ++x)
        blend(x, y, c, a);
  }
  /// An anti-aliased disc.
  void disc(float cx, float cy, float r, const Rgb& c, float a) {
    const int lo_x = static_cast<int>(std::floor(cx - r - 1)), hi_x = static_cast<int>(std::ceil(cx + r + 1));
    const int lo_y = static_cast<int>(std::floor(cy - r - 1)), hi_y = static_cast<int>(std::ceil(cy + r + 1));
    for (int y = lo_y; y <= hi_y; ++y)
      for (int x = lo_x; x <= hi_x; ++x) {
        const float d = std::hypot(x + 0.5f - cx, y + 0.5f - cy);
        blend(x, y, c, a * std::clamp(r + 0.5f - d, 0.0f, 1.0f));
      }
  }
  /// A line of the given width (sampled densely; plots are small).
  void line(float x0, float y0, float x1, float y1, const Rgb& c, float width = 2) {
    const int steps = static_cast<int>(std::ceil(std::hypot(x1 - x0, y1 - y0) * 2)) + 1;
    for (int i = 0; i <= steps; ++i) {
      const float t = static_cast<float>(i) / steps;
      const float x = x0 + t * (x1 - x0), y = y0 + t * (y1 - y0);
      fill_rect(x - width / 2, y - width / 2, x + width / 2, y + width / 2, c);
    }
  }
  /// Text with its top-left corner at (x, y).
  void text(float x, float y, const std::string& s, const Rgb& c) {
    for (const auto& r : text_rects(s)) {
      fill_rect(x + r[0] * kTextScale, y + r[1] * kTextScale, x + r[2] * kTextScale, y + r[3] * kTextScale, c);
    }
  }
  static float text_width(const std::string& s) { return text_width_at(s, kTextScale); }

  std::vector<unsigned char> to_rgb8() const {
    std::vector<unsigned char> out(px_.size() * 3);
    for (size_t i = 0; i < px_.size(); ++i)
      for (int k = 0; k < 3; ++k)
        out[3 * i + k] = static_cast<unsigned char>(std::lround(std::clamp(px_[i][k], 0.0f, 255.0f)));
    return out;
  }

 private:
  int w_, h_;
  std::vector<Rgb> px_;
};

struct Range {
  double lo = 0, hi = 0;
  bool valid() const { return hi > lo; }
};

/// Maps data coordinates into the panel (y grows upwards in data, downwards in pixels).
/// With log_y, y coordinates (and the range) are log10 of the data.
struct Axes {
  Range x, y;
  float left, top, right, bottom;
  bool log_y = false;
  float px(double v) const { return left + static_cast<float>((v - x.lo) / (x.hi - x.lo)) * (right - left); }
  float py(double v) const { return bottom - static_cast<float>((v - y.lo) / (y.hi - y.lo)) * (bottom - top); }
};

/// Host float64 copy of a tensor's values, row-major.
std::vector<double> host_values(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kCPU, at::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

/// Min/max of the finite values, widened by 5 % (or ±1 when there is no spread).
Range auto_range(const std::vector<double>& values, Range r = {INFINITY, -INFINITY}) {
  for (double v : values) {
    if (std::isfinite(v)) r.lo = std::min(r.lo, v), r.hi = std::max(r.hi, v);
  }
  return r;
}

Range padded(Range r) {
  if (!(r.hi >= r.lo)) return {-1, 1};
  const double span = r.hi - r.lo, pad = span > 0 ? 0.05 * span : 1.0;
  return {r.lo - pad, r.hi + pad};
}

/// 1, 2 or 5 × 10^k, giving about `target` ticks over the range.
double nice_step(const Range& r, int target = 5) {
  const double raw = (r.hi - r.lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

std::string tick_label(double v, double step) {
  if (std::fabs(v) < 1e-9 * step) v = 0;  // no "-0" or "1e-17"
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

struct Tick {
  double at;  ///< axis coordinate
  std::string label;
};

std::vector<Tick> linear_ticks(const Range& r) {
  std::vector<Tick> ticks;
  const double step = nice_step(r);
  for (double v = std::ceil(r.lo / step) * step; v <= r.hi; v += step) ticks.push_back({v, tick_label(v, step)});
  return ticks;
}

/// Ticks of a log10 axis (r in log10 units): decades (every k-th over a wide
/// range), then 1-2-5 within a narrow one; under two decades' worth of ticks
/// falls back to linear ticks of the values.
std::vector<Tick> log_ticks(const Range& r) {
  std::vector<Tick> ticks;
  const double span = r.hi - r.lo;
  const int every = std::max(1, static_cast<int>(std::ceil(span / 6)));
  const std::vector<double> mantissas = span < 3 ? std::vector<double>{1, 2, 5} : std::vector<double>{1};
  for (int k = static_cast<int>(std::floor(r.lo)); k <= static_cast<int>(std::ceil(r.hi)); ++k) {
    if (k % every != 0) continue;
    for (double m : mantissas) {
      const double v = m * std::pow(10.0, k), at = std::log10(v);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", v);
      if (at >= r.lo && at <= r.hi) ticks.push_back({at, buf});
    }
  }
  if (ticks.size() >= 2) return ticks;
  ticks.clear();
  for (const Tick& t : linear_ticks({std::pow(10.0, r.lo), std::pow(10.0, r.hi)})) {
    if (t.at > 0) ticks.push_back({std::log10(t.at), t.label});
  }
  return ticks;
}

/// Panel, grid lines, axis box, ticks and labels, and the title centred on
/// title_cx at height title_y.
void draw_frame(Canvas& c, const Axes& a, const std::string& title, float title_cx, float title_y) {
  c.fill_rect(a.left, a.top, a.right, a.bottom, kPanel);
  for (const Tick& t : linear_ticks(a.x)) {
    const float x = a.px(t.at);
    c.fill_rect(x, a.top, x + 1, a.bottom, kGrid);
    c.fill_rect(x, a.bottom, x + 1, a.bottom + 6, kInk);
    c.text(x - Canvas::text_width(t.label) / 2, a.bottom + 10, t.label, kInk);
  }
  for (const Tick& t : a.log_y ? log_ticks(a.y) : linear_ticks(a.y)) {
    const float y = a.py(t.at);
    c.fill_rect(a.left, y, a.right, y + 1, kGrid);
    c.fill_rect(a.left - 6, y, a.left, y + 1, kInk);
    c.text(a.left - 10 - Canvas::text_width(t.label), y - 6, t.label, kInk);
  }
  // The box, drawn last so grid lines do not cover it.
  c.fill_rect(a.left, a.top, a.right, a.top + 1, kInk);
  c.fill_rect(a.left, a.bottom, a.right + 1, a.bottom + 1, kInk);
  c.fill_rect(a.left, a.top, a.left + 1, a.bottom, kInk);
  c.fill_rect(a.right, a.top, a.right + 1, a.bottom, kInk);
  if (!title.empty()) c.text(title_cx - Canvas::text_width(title) / 2, title_y, title, kInk);
}

void draw_legend(Canvas& c, const Axes& a, const std::vector<std::pair<std::string, Rgb>>& entries) {
  float width = 0;
  for (const auto& e : entries) width = std::max(width, Canvas::text_width(e.first));
  const float x = a.right - 12 - width;  // left-aligned column at the top right
  float y = a.top + 10;
  for (const auto& [label, colour] : entries) {
    if (label.empty()) continue;
    c.fill_rect(x - 20, y + 2, x - 8, y + 12, colour);
    c.text(x, y, label, kInk);
    y += 20;
  }
}

void encode_png(const std::string& path, const Canvas& c) {
  write_png(path, c.width(), c.height(), 3, c.to_rgb8().data());
}

void check_size(const PlotOptions& o, const std::string& path) {
  if (o.width < kLeft + kRight + 50 || o.height < kTop + kBottom + 50 || o.width > 16384 || o.height > 16384) {
    throw UsageError("plot size " + std::to_string(o.width) + "x" + std::to_string(o.height) + " is out of range (" +
                     path + ")");
  }
}

}  // namespace

void write_scatter_png(const std::string& path, const at::Tensor& points, const at::Tensor& reference,
                       const PlotOptions& options) {
  check_size(options, path);
  const bool has_ref = reference.defined() && reference.numel() > 0;
  for (const at::Tensor* t : {&points, has_ref ? &reference : nullptr}) {
    if (t && (t->dim() != 2 || t->size(1) != 2)) {
      throw UsageError("a scatter plot needs points of shape [n, 2], got " + std::to_string(t->dim()) + "-D input (" +
                       path + ")");
    }
  }
  const std::vector<double> p = host_values(points), r = has_ref ? host_values(reference) : std::vector<double>{};
  Axes a{{options.x_min, options.x_max},
         {options.y_min, options.y_max},
         static_cast<float>(kLeft),
         static_cast<float>(kTop),
         static_cast<float>(options.width - kRight),
         static_cast<float>(options.height - kBottom)};
  if (!a.x.valid() || !a.y.valid()) {
    // One scale for both axes: circles stay circles.
    Range rx{INFINITY, -INFINITY}, ry{INFINITY, -INFINITY};
    for (const auto* v : {&p, &r}) {
      for (size_t i = 0; i + 1 < v->size(); i += 2) {
        if (std::isfinite((*v)[i]) && std::isfinite((*v)[i + 1])) {
          rx.lo = std::min(rx.lo, (*v)[i]), rx.hi = std::max(rx.hi, (*v)[i]);
          ry.lo = std::min(ry.lo, (*v)[i + 1]), ry.hi = std::max(ry.hi, (*v)[i + 1]);
        }
      }
    }
    rx = padded(rx), ry = padded(ry);
    const double half = std::max(rx.hi - rx.lo, ry.hi - ry.lo) / 2;
    const double cx = (rx.lo + rx.hi) / 2, cy = (ry.lo + ry.hi) / 2;
    if (!a.x.valid()) a.x = {cx - half, cx + half};
    if (!a.y.valid()) a.y = {cy - half, cy + half};
  }
  Canvas c(options.width, options.height, kBackground);
  draw_frame(c, a, options.title, c.width() / 2.0f, 12);
  const auto scatter = [&](const std::vector<double>& v, const Rgb& colour) {
    for (size_t i = 0; i + 1 < v.size(); i += 2) {
      if (!std::isfinite(v[i]) || !std::isfinite(v[i + 1])) continue;
      if (v[i] < a.x.lo || v[i] > a.x.hi || v[i + 1] < a.y.lo || v[i + 1] > a.y.hi) continue;
      c.disc(a.px(v[i]), a.py(v[i + 1]), static_cast<float>(options.point_radius), colour,
             static_cast<float>(options.alpha));
    }
  };
  scatter(r, kOrange);  // the reference underneath
  scatter(p, kBlue);
  if (has_ref) draw_legend(c, a, {{options.label, kBlue}, {options.reference_label, kOrange}});
  encode_png(path, c);
}

void write_histogram_png(const std::string& path, const at::Tensor& values, const DensityFn& density,
                         const at::Tensor& reference, const PlotOptions& options) {
  check_size(options, path);
  if (options.bins < 1) throw UsageError("a histogram needs at least one bin (" + path + ")");
  const bool has_ref = reference.defined() && reference.numel() > 0;
  if (values.numel() != values.size(0) || (has_ref && reference.numel() != reference.size(0))) {
    throw UsageError("a histogram needs values of shape [n] or [n, 1] (" + path + ")");
  }
  const std::vector<double> v = host_values(values), r = has_ref ? host_values(reference) : std::vector<double>{};
  Axes a{{options.x_min, options.x_max},
         {0, 1},
         static_cast<float>(kLeft),
         static_cast<float>(kTop),
         static_cast<float>(options.width - kRight),
         static_cast<float>(options.height - kBottom)};
  if (!a.x.valid()) a.x = padded(auto_range(r, auto_range(v)));

  const double bin_width = (a.x.hi - a.x.lo) / options.bins;
  const auto histogram = [&](const std::vector<double>& xs) {
    std::vector<double> h(options.bins, 0.0);
    for (double x : xs) {
      if (!std::isfinite(x) || x < a.x.lo || x > a.x.hi) continue;
      h[std::min(options.bins - 1, static_cast<int>((x - a.x.lo) / bin_width))] += 1;
    }
    for (double& count : h) count /= std::max<size_t>(xs.size(), 1) * bin_width;  // empirical density
    return h;
  };
  const std::vector<double> bars = histogram(v), ref_bars = histogram(r);
  std::vector<double> curve_x, curve_y;
  if (density) {
    const int m = static_cast<int>(a.right - a.left) + 1;
    const at::Tensor xs = at::linspace(a.x.lo, a.x.hi, m, at::TensorOptions().dtype(at::kDouble));
    curve_x = host_values(xs);
    curve_y = host_values(density(xs));
    if (curve_y.size() != curve_x.size()) throw UsageError("the density returned the wrong shape (" + path + ")");
  }
  double top = 0;
  for (const std::vector<double>* h : std::initializer_list<const std::vector<double>*>{&bars, &ref_bars, &curve_y}) {
    for (double y : *h) {
      if (std::isfinite(y)) top = std::max(top, y);
    }
  }
  a.y = {0, top > 0 ? 1.08 * top : 1.0};

  Canvas c(options.width, options.height, kBackground);
  draw_frame(c, a, options.title, c.width() / 2.0f, 12);
  for (int b = 0; b < options.bins; ++b) {
    const double x0 = a.x.lo + b * bin_width;
    // Whole-pixel edges: neighbouring bars neither overlap nor leave gaps.
    c.fill_rect(std::round(a.px(x0)), a.py(bars[b]), std::round(a.px(x0 + bin_width)), a.py(0), kBlue, 0.6f);
  }
  if (has_ref) {  // a step outline
    for (int b = 0; b < options.bins; ++b) {
      const double x0 = a.x.lo + b * bin_width;
      const float y = a.py(ref_bars[b]);
      c.line(a.px(x0), y, a.px(x0 + bin_width), y, kOrange);
      if (b + 1 < options.bins) c.line(a.px(x0 + bin_width), y, a.px(x0 + bin_width), a.py(ref_bars[b + 1]), kOrange);
    }
  }
  for (size_t i = 0; i + 1 < curve_x.size(); ++i) {
    if (!std::isfinite(curve_y[i]) || !std::isfinite(curve_y[i + 1])) continue;
    c.line(a.px(curve_x[i]), a.py(curve_y[i]), a.px(curve_x[i + 1]), a.py(curve_y[i + 1]), kRed);
  }
  std::vector<std::pair<std::string, Rgb>> legend;
  if (has_ref || density) legend.push_back({options.label, kBlue});
  if (has_ref) legend.push_back({options.reference_label, kOrange});
  if (density) legend.push_back({"density", kRed});
  if (!legend.empty()) draw_legend(c, a, legend);
  encode_png(path, c);
}

namespace {

/// Clips the segment to the rectangle (Liang–Barsky); false when none of it is inside.
bool clip_segment(float& x0, float& y0, float& x1, float& y1, float left, float top, float right, float bottom) {
  float t0 = 0, t1 = 1;
  const float dx = x1 - x0, dy = y1 - y0;
  const float p[4] = {-dx, dx, -dy, dy}, q[4] = {x0 - left, right - x0, y0 - top, bottom - y0};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] < 0) return false;
      continue;
    }
    const float t = q[i] / p[i];
    if (p[i] < 0)
      t0 = std::max(t0, t);
    else
      t1 = std::min(t1, t);
  }
  if (t0 > t1) return false;
  const float ax = x0 + t0 * dx, ay = y0 + t0 * dy;
  x1 = x0 + t1 * dx, y1 = y0 + t1 * dy, x0 = ax, y0 = ay;
  return true;
}

/// y in axis coordinates: log10 of the data on a log axis, where y <= 0 is NaN
/// (skipped like non-finite values).
double axis_y(double y, bool log_y) { return !log_y ? y : y > 0 ? std::log10(y) : NAN; }

/// The axes of a line-plot panel whose top edge is at pixel row y0, with room
/// for long tick labels (0.00015) left of the box and for the last x label.
Axes line_axes(const std::vector<Series>& series, const PlotOptions& o, float y0, const std::string& path) {
  check_size(o, path);
  for (const Series& s : series) {
    if (s.xs.size() != s.ys.size()) {
      throw UsageError("line plot series '" + s.name + "' has " + std::to_string(s.xs.size()) + " x values but " +
                       std::to_string(s.ys.size()) + " y values (" + path + ")");
    }
  }
  Axes a{{o.x_min, o.x_max},
         {o.y_min, o.y_max},
         static_cast<float>(kLeft),
         y0 + kTop,
         static_cast<float>(o.width - kRight),
         y0 + o.height - kBottom,
         o.log_y};
  if (o.log_y && a.y.valid()) {
    if (!(o.y_min > 0)) throw UsageError("a log-scale y axis needs y_min > 0 (" + path + ")");
    a.y = {std::log10(o.y_min), std::log10(o.y_max)};
  }
  Range rx{INFINITY, -INFINITY}, ry{INFINITY, -INFINITY};
  for (const Series& s : series) {
    for (size_t i = 0; i < s.xs.size(); ++i) {
      const double x = s.xs[i], y = axis_y(s.ys[i], o.log_y);
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      rx.lo = std::min(rx.lo, x), rx.hi = std::max(rx.hi, x);
      ry.lo = std::min(ry.lo, y), ry.hi = std::max(ry.hi, y);
    }
  }
  if (!a.x.valid()) a.x = rx.valid() ? rx : padded(rx);  // curves start and end at the box
  if (!a.y.valid()) a.y = padded(ry);
  for (const Tick& t : o.log_y ? log_ticks(a.y) : linear_ticks(a.y)) {
    a.left = std::max(a.left, Canvas::text_width(t.label) + 16);
  }
  const std::vector<Tick> x_ticks = linear_ticks(a.x);
  if (!x_ticks.empty()) a.right = std::min(a.right, o.width - Canvas::text_width(x_ticks.back().label) / 2 - 4);
  return a;
}

void draw_line_panel(Canvas& c, const Axes& a, const std::vector<Series>& series, const PlotOptions& o) {
  draw_frame(c, a, o.title, o.width / 2.0f, a.top - kTop + 12);
  std::vector<std::pair<std::string, Rgb>> legend;
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    const Rgb& colour = kPalette[k % std::size(kPalette)];
    const auto valid = [&](size_t i) {
      return i < s.xs.size() && std::isfinite(s.xs[i]) && std::isfinite(axis_y(s.ys[i], o.log_y));
    };
    for (size_t i = 0; i < s.xs.size(); ++i) {
      if (!valid(i)) continue;
      const float px = a.px(s.xs[i]), py = a.py(axis_y(s.ys[i], o.log_y));
      if (valid(i + 1)) {
        float xa = px, ya = py, xb = a.px(s.xs[i + 1]), yb = a.py(axis_y(s.ys[i + 1], o.log_y));
        if (clip_segment(xa, ya, xb, yb, a.left, a.top, a.right, a.bottom)) c.line(xa, ya, xb, yb, colour, 1.5f);
      } else if ((i == 0 || !valid(i - 1)) && px >= a.left && px <= a.right && py >= a.top && py <= a.bottom) {
        c.disc(px, py, 1.5f, colour, 1);  // a point between gaps still shows
      }
    }
    if (!s.name.empty()) legend.push_back({s.name, colour});
  }
  if (legend.size() > 1) draw_legend(c, a, legend);  // one curve: the title names it
}

}  // namespace

void write_line_plot_png(const std::string& path, const std::vector<Series>& series, const PlotOptions& options) {
  write_line_plots_png(path, {series}, {options});
}

void write_line_plots_png(const std::string& path, const std::vector<std::vector<Series>>& panels,
                          const std::vector<PlotOptions>& options) {
  if (panels.empty() || panels.size() != options.size()) {
    throw UsageError("a line plot needs one PlotOptions per panel and at least one panel, got " +
                     std::to_string(panels.size()) + " panels and " + std::to_string(options.size()) + " options (" +
                     path + ")");
  }
  int width = 0, height = 0;
  std::vector<Axes> axes;
  float left = 0, right_margin = 0;
  for (size_t i = 0; i < panels.size(); ++i) {
    axes.push_back(line_axes(panels[i], options[i], static_cast<float>(height), path));
    left = std::max(left, axes.back().left);
    right_margin = std::max(right_margin, options[i].width - axes.back().right);
    width = std::max(width, options[i].width), height += options[i].height;
  }
  if (height > 16384)
    throw UsageError("stacked plots are " + std::to_string(height) + " px tall, over 16384 (" + path + ")");
  Canvas c(width, height, kBackground);
  for (size_t i = 0; i < panels.size(); ++i) {
    axes[i].left = left, axes[i].right = options[i].width - right_margin;  // stacked boxes line up
    draw_line_panel(c, axes[i], panels[i], options[i]);
  }
  encode_png(path, c);
}

float text_width_px(const std::string& text, float scale) { return text_width_at(text, scale); }

void draw_text_rgb8(unsigned char* rgb, int width, int height, float x, float y, const std::string& text,
                    const std::array<unsigned char, 3>& colour, float scale) {
  for (const auto& r : text_rects(text)) {
    // Pixel (i, j) is inked when its centre lies in the scaled glyph rectangle.
    const int i0 = std::max(0, static_cast<int>(std::ceil(x + r[0] * scale - 0.5f)));
    const int i1 = std::min(width, static_cast<int>(std::ceil(x + r[2] * scale - 0.5f)));
    const int j0 = std::max(0, static_cast<int>(std::ceil(y + r[1] * scale - 0.5f)));
    const int j1 = std::min(height, static_cast<int>(std::ceil(y + r[3] * scale - 0.5f)));
    for (int j = j0; j < j1; ++j)
      for (int i = i0; i < i1; ++i)
        std::copy(colour.begin(), colour.end(), rgb + 3 * (static_cast<size_t>(j) * width + i));
  }
}

void write_png(const std::string& path, int width, int height, int channels, const unsigned char* pixels) {
  std::string png;
  auto sink = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(sink, &png, width, height, channels, pixels, width * channels)) {
    throw UsageError("PNG encoding failed (" + path + ")");
  }
  write_file_atomic(path, png);
}

}  // namespace hold
