#pragma once
// PNG plots of 1-D and 2-D samples (hold-sample writes one next to samples.npz):
//   * a scatter plot of 2-D points, optionally over reference points (the data)
//     in another colour;
//   * a histogram of 1-D values, optionally with a reference histogram outline
//     and a reference density curve (e.g. the exact mixture density);
// and line plots of training curves (hold-inspect --plot-metrics).
// Light background, an axis box with "nice" tick marks and labels, optional
// title and legend (text from stb_easy_font: no font files). Encoded with
// stb_image_write and written atomically. Non-finite values are skipped (a
// diverging sampler still gets a plot); points outside the axes are clipped.
#include <ATen/core/Tensor.h>

#include <array>
#include <functional>
#include <string>
#include <vector>

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
  /// Line plot: log10 y axis (values <= 0 are skipped; y_min/y_max stay in data units).
  bool log_y = false;
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

/// One curve of a line plot: the points (xs[i], ys[i]); non-finite points break the line.
struct Series {
  std::string name;  ///< legend label; empty: not in the legend
  std::vector<double> xs, ys;
};

/// Curves over one pair of axes, in the palette's colours (blue, orange,
/// green, red, purple, ...), with a legend of the named series when there
/// are two or more (one curve is named by the title). The x range
/// is the data's (no margin), the y range the data's with a 5 % margin,
/// unless options set them.
void write_line_plot_png(const std::string& path, const std::vector<Series>& series, const PlotOptions& options = {});

/// Several line plots stacked top to bottom in one PNG: panel i draws
/// panels[i] with options[i] (its width, height, title, log_y, limits); the
/// image is as wide as the widest panel and as tall as all of them, and the
/// axis boxes share their left edge (and right margin) so x positions line up.
void write_line_plots_png(const std::string& path, const std::vector<std::vector<Series>>& panels,
                          const std::vector<PlotOptions>& options);

// Drawing primitives shared with the image grids (io/image_grid.cpp).

/// Width in pixels of `text` as draw_text_rgb8 draws it (glyphs ~7·scale px tall).
float text_width_px(const std::string& text, float scale = 2.0f);

/// Draws `text` (stb_easy_font) with its top-left corner at (x, y) into a
/// row-major RGB8 image of width × height pixels; clipped at the edges.
void draw_text_rgb8(unsigned char* rgb, int width, int height, float x, float y, const std::string& text,
                    const std::array<unsigned char, 3>& colour, float scale = 2.0f);

/// Encodes width × height pixels of `channels` bytes each (1: grey, 3: RGB)
/// as a PNG and writes it atomically; UsageError naming the path.
void write_png(const std::string& path, int width, int height, int channels, const unsigned char* pixels);

}  // namespace hold
