#pragma once
// Density maps: 2-D densities on a regular grid drawn as heat maps, side by
// side (hold-nll --grid: the model's ODE density next to the data's). Each
// panel has its own colour scale from 0 to its largest finite value
// (inferno-like: black, purple, red, orange, pale yellow); non-finite cells
// are drawn as 0. Text from stb_easy_font, written atomically (io/plot.h).
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace hold {

struct DensityPanel {
  std::string title;
  /// [ny, nx] densities ≥ 0 (any float dtype): row iy is y = y_min + (iy + ½)·Δy
  /// (drawn with y increasing upwards), column ix likewise in x.
  at::Tensor density;
};

/// The panels left to right, each panel_px × panel_px pixels, over the same
/// extent [x_min, x_max] × [y_min, y_max] (written under them). UsageError
/// naming the path if it cannot be written.
void write_density_maps_png(const std::string& path, const std::vector<DensityPanel>& panels, double x_min,
                            double x_max, double y_min, double y_max, int panel_px = 400);

}  // namespace hold
