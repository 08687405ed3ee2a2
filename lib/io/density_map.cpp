#include "hold/io/density_map.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "hold/core/error.h"
#include "hold/io/plot.h"

namespace hold {
namespace {

/// Inferno-like colour of v ∈ [0, 1]: linear between five stops.
std::array<unsigned char, 3> colour(double v) {
  static const double stops[5][3] = {{0, 0, 4}, {87, 16, 110}, {188, 55, 84}, {249, 142, 9}, {252, 255, 164}};
  const double x = std::clamp(v, 0.0, 1.0) * 4.0;
  const int i = std::min(static_cast<int>(x), 3);
  const double f = x - i;
  std::array<unsigned char, 3> c{};
  for (int k = 0; k < 3; ++k)
    c[k] = static_cast<unsigned char>(std::lround(stops[i][k] + f * (stops[i + 1][k] - stops[i][k])));
  return c;
}

}  // namespace

void write_density_maps_png(const std::string& path, const std::vector<DensityPanel>& panels, double x_min,
                            double x_max, double y_min, double y_max, int panel_px) {
  if (panels.empty()) throw UsageError("a density map needs at least one panel (" + path + ")");
  const int margin = 20, top = 44, bottom = 64;  // bottom: each panel's maximum, then the extent
  const int n = static_cast<int>(panels.size());
  const int width = margin + n * (panel_px + margin), height = top + panel_px + bottom;
  std::vector<unsigned char> rgb(static_cast<size_t>(width) * height * 3, 255);
  const std::array<unsigned char, 3> ink{30, 30, 30};
  for (int p = 0; p < n; ++p) {
    const at::Tensor d = panels[p].density.to(at::kCPU, at::kDouble).contiguous();
    TORCH_CHECK(d.dim() == 2, "write_density_maps_png: a panel's density must be [ny, nx]");
    const int64_t ny = d.size(0), nx = d.size(1);
    const double* v = d.data_ptr<double>();
    double vmax = 0;
    for (int64_t i = 0; i < ny * nx; ++i)
      if (std::isfinite(v[i])) vmax = std::max(vmax, v[i]);
    const int x0 = margin + p * (panel_px + margin);
    for (int py = 0; py < panel_px; ++py) {
      const int64_t iy = ny - 1 - std::min<int64_t>(ny - 1, static_cast<int64_t>(py) * ny / panel_px);
      for (int px = 0; px < panel_px; ++px) {
        const int64_t ix = std::min<int64_t>(nx - 1, static_cast<int64_t>(px) * nx / panel_px);
        const double value = v[iy * nx + ix];
        const auto c = colour(std::isfinite(value) && vmax > 0 ? value / vmax : 0.0);
        unsigned char* out = &rgb[(static_cast<size_t>(top + py) * width + x0 + px) * 3];
        out[0] = c[0], out[1] = c[1], out[2] = c[2];
      }
    }
    draw_text_rgb8(rgb.data(), width, height, static_cast<float>(x0), 12.0f, panels[p].title, ink);
    char scale[64];
    std::snprintf(scale, sizeof scale, "max %.4g", vmax);
    draw_text_rgb8(rgb.data(), width, height, static_cast<float>(x0), static_cast<float>(top + panel_px + 8), scale,
                   ink);
  }
  char extent[128];
  std::snprintf(extent, sizeof extent, "x in [%.3g, %.3g], y in [%.3g, %.3g]", x_min, x_max, y_min, y_max);
  draw_text_rgb8(rgb.data(), width, height, static_cast<float>(margin), static_cast<float>(top + panel_px + 34), extent,
                 ink);
  write_png(path, width, height, 3, rgb.data());
}

}  // namespace hold
