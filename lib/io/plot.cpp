#include "io/plot.h"

#include <ATen/ATen.h>
#include <stb_image_write.h>  // implementation: libstb (linked by lib/CMakeLists.txt)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_easy_font.h>  // header-only, static functions
#pragma GCC diagnostic pop

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "io/atomic_file.h"

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

// Margins around the axes, in pixels: room for tick labels and the title.
constexpr int kLeft = 70, kRight = 20, kTop = 40, kBottom = 45;
constexpr float kTextScale = 2.0f;  // stb_easy_font glyphs are ~7 px tall

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
      for (int x = static_cast<int>(std::floor(std::min(x0, x1))); x < static_cast<int>(std::ceil(std::max(x0, x1))); ++x)
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
    std::vector<char> str(s.begin(), s.end());
    str.push_back('\0');
    std::vector<char> buffer(300 * s.size() + 1024);
    const int quads = stb_easy_font_print(0, 0, str.data(), nullptr, buffer.data(), static_cast<int>(buffer.size()));
    const auto* v = reinterpret_cast<const float*>(buffer.data());  // x, y, z, rgba: 4 floats per vertex
    for (int q = 0; q < quads; ++q) {
      const float* quad = v + q * 16;
      fill_rect(x + quad[0] * kTextScale, y + quad[1] * kTextScale, x + quad[8] * kTextScale,
                y + quad[9] * kTextScale, c);
    }
  }
  static float text_width(const std::string& s) {
    std::vector<char> str(s.begin(), s.end());
    str.push_back('\0');
    return stb_easy_font_width(str.data()) * kTextScale;
  }

  std::vector<unsigned char> to_rgb8() const {
    std::vector<unsigned char> out(px_.size() * 3);
    for (size_t i = 0; i < px_.size(); ++i)
      for (int k = 0; k < 3; ++k) out[3 * i + k] = static_cast<unsigned char>(std::lround(std::clamp(px_[i][k], 0.0f, 255.0f)));
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
struct Axes {
  Range x, y;
  float left, top, right, bottom;
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

/// Panel, grid lines, axis box, ticks and labels, title.
void draw_frame(Canvas& c, const Axes& a, const std::string& title) {
  c.fill_rect(a.left, a.top, a.right, a.bottom, kPanel);
  const double sx = nice_step(a.x), sy = nice_step(a.y);
  for (double v = std::ceil(a.x.lo / sx) * sx; v <= a.x.hi; v += sx) {
    const float x = a.px(v);
    c.fill_rect(x, a.top, x + 1, a.bottom, kGrid);
    c.fill_rect(x, a.bottom, x + 1, a.bottom + 6, kInk);
    const std::string s = tick_label(v, sx);
    c.text(x - Canvas::text_width(s) / 2, a.bottom + 10, s, kInk);
  }
  for (double v = std::ceil(a.y.lo / sy) * sy; v <= a.y.hi; v += sy) {
    const float y = a.py(v);
    c.fill_rect(a.left, y, a.right, y + 1, kGrid);
    c.fill_rect(a.left - 6, y, a.left, y + 1, kInk);
    const std::string s = tick_label(v, sy);
    c.text(a.left - 10 - Canvas::text_width(s), y - 6, s, kInk);
  }
  // The box, drawn last so grid lines do not cover it.
  c.fill_rect(a.left, a.top, a.right, a.top + 1, kInk);
  c.fill_rect(a.left, a.bottom, a.right + 1, a.bottom + 1, kInk);
  c.fill_rect(a.left, a.top, a.left + 1, a.bottom, kInk);
  c.fill_rect(a.right, a.top, a.right + 1, a.bottom, kInk);
  if (!title.empty()) c.text((c.width() - Canvas::text_width(title)) / 2, 12, title, kInk);
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
  const std::vector<unsigned char> rgb = c.to_rgb8();
  std::string png;
  auto sink = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(sink, &png, c.width(), c.height(), 3, rgb.data(), c.width() * 3)) {
    throw UsageError("PNG encoding failed (" + path + ")");
  }
  write_file_atomic(path, png);
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
      throw UsageError("a scatter plot needs points of shape [n, 2], got " + std::to_string(t->dim()) +
                       "-D input (" + path + ")");
    }
  }
  const std::vector<double> p = host_values(points), r = has_ref ? host_values(reference) : std::vector<double>{};
  Axes a{{options.x_min, options.x_max}, {options.y_min, options.y_max}, static_cast<float>(kLeft),
         static_cast<float>(kTop), static_cast<float>(options.width - kRight),
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
  draw_frame(c, a, options.title);
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
  Axes a{{options.x_min, options.x_max}, {0, 1}, static_cast<float>(kLeft), static_cast<float>(kTop),
         static_cast<float>(options.width - kRight), static_cast<float>(options.height - kBottom)};
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
  draw_frame(c, a, options.title);
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

}  // namespace hold
