#pragma once
// PNG pictures of image samples: a grid of samples (as torchvision's
// make_grid + save_image), and the generation path of a few samples through
// the reverse process, block by block (HOLD figs. 10–11, CLD's paths).
// Pixels follow torchvision / score_sde: a value y in [0, 1] becomes
// uint8(clamp(255 y + 0.5, 0, 255)), i.e. rounded half up. Files are written
// atomically (io/plot.h write_png).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hold {

/// Grey of the padding between grid tiles (visible on dark and light images).
constexpr uint8_t kGridPadValue = 128;

/// x: float [N, C, H, W] in data space, [-1, 1] when centered, else [0, 1]
/// (any device) → uint8 [N, H, W, C], contiguous, on the CPU. Out-of-range
/// values are clamped, NaN becomes 0.
at::Tensor to_uint8_nhwc(const at::Tensor& x, bool centered = true);

/// One PNG of the N images of x [N, C, H, W] (C = 1: grey, C = 3: RGB),
/// `nrow` images per row (0: ceil(sqrt(N))), each enlarged `scale` times
/// (nearest neighbour). Tiles are `padding` pixels apart and from the border,
/// in kGridPadValue: the image is cols·(scale·W + padding) + padding wide and
/// rows·(scale·H + padding) + padding tall, tile (r, c) starting at
/// (padding + c·(scale·W + padding), padding + r·(scale·H + padding)).
/// UsageError naming the path on bad shapes or a failed write.
void write_image_grid_png(const std::string& path, const at::Tensor& x, int64_t nrow = 0, bool centered = true,
                          int64_t padding = 2, int64_t scale = 1);

/// The reverse process of a few samples in one RGB PNG. states[i] is the full
/// state [S, K·C, H, W] (K = num_blocks, C = 1 or 3) at time times[i].
/// Columns are the times (labelled with t); rows are the blocks x, v, a, b3,
/// b4, ... of each sample (labelled "x", "v", ...; "x[s]", "v[s]", ... when
/// S > 1), sample by sample. x is drawn with the data mapping; the auxiliary
/// blocks have no fixed range, so each of their tiles is drawn on its own
/// scale: 0 is mid grey and ±3·RMS of the tile's values are black / white
/// (a zero tile is uniform grey), which keeps the sign readable at every t.
/// Tiles are enlarged by s = max(1, ceil(64 / max(H, W))) and are 2 px apart,
/// with 8 px more between samples; labels sit in a column on the left and a
/// row on top.
void write_trajectory_png(const std::string& path, const std::vector<at::Tensor>& states,
                          const std::vector<double>& times, int64_t num_blocks, bool centered = true);

}  // namespace hold
