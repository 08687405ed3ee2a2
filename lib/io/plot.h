#pragma once
// PNG plots of 1-D and 2-D samples (hold-sample writes one next to samples.npz):
//   * a scatter plot of 2-D points, optionally over reference points (the data)
//     in another colour;
//   * a histogram of 1-D values, optionally with a reference histogram outline
//     and a reference density curve (e.g. the exact mixture density).
// Light background, an axis box with "nice" tick marks and labels, optional
// title and legend (text from stb_easy_font: no font files). Encoded with
// stb_image_write and written atomically. Non-finite values are skipped (a
// diverging sampler still gets a plot); points outside the axes are clipped.
#include <ATen/core/Tensor.h>

#include <functional>
#include <string>

namespace hold {

struct PlotOptions {
  /// Image size in pixels.
  int width = 800;
  int height = 800;
  /// Drawn above the axes; empty: none.
  std::string title;
  /// Legend labels of the two point sets (legend only when a reference is given).
  std::string label = "samples";
  std::string reference_label = "data";
  /// Axis limits; when min >= max they come from the data with a 5 % margin
  /// (the scatter plot then uses one scale for both axes).
  double x_min = 0, x_max = 0;
  double y_min = 0, y_max = 0;
  /// Scatter: opacity and radius (pixels) of each point.
  double alpha = 0.35;
  double point_radius = 1.6;
  /// Histogram: number of bins over [x_min, x_max].
  int bins = 100;
};

/// points: [n, 2] (any float dtype/device); reference: [m, 2] or undefined.
void write_scatter_png(const std::string& path, const at::Tensor& points, const at::Tensor& reference = {},
                       const PlotOptions& options = {});

/// A density to draw over a histogram: x [m] float64 → p(x) [m] (any float dtype).
/// For a GaussianMixture g: [&](const at::Tensor& x) { return g.log_prob(x.unsqueeze(1)).exp(); }
using DensityFn = std::function<at::Tensor(const at::Tensor& x)>;

/// values: [n] or [n, 1]; bars show the empirical density (count / (n · bin
/// width)), so they are on the same scale as `density`. reference: values
/// whose histogram is drawn as an outline (or undefined).
void write_histogram_png(const std::string& path, const at::Tensor& values, const DensityFn& density = {},
                         const at::Tensor& reference = {}, const PlotOptions& options = {});

}  // namespace hold
