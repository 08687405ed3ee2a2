#include "hold/io/image_grid.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "hold/core/error.h"
#include "hold/io/plot.h"

namespace hold {
namespace {

constexpr int64_t kMaxSide = 16384;  // as the plots: larger is a mistake, not a picture
constexpr std::array<unsigned char, 3> kBackground{248, 248, 246};
constexpr std::array<unsigned char, 3> kInk{60, 60, 60};

std::string shape_of(const at::Tensor& t) {
  std::ostringstream os;
  os << t.sizes();
  return os.str();
}

/// Copies an H × W × C uint8 image, enlarged `scale` times, into a row-major
/// image of dst_width pixels of dst_channels at (x0, y0); grey → RGB when
/// dst_channels is 3 and C is 1.
void blit(unsigned char* dst, int64_t dst_width, int64_t dst_channels, int64_t x0, int64_t y0, const unsigned char* src,
          int64_t h, int64_t w, int64_t c, int64_t scale) {
  for (int64_t y = 0; y < h * scale; ++y) {
    const unsigned char* row = src + (y / scale) * w * c;
    unsigned char* out = dst + ((y0 + y) * dst_width + x0) * dst_channels;
    for (int64_t x = 0; x < w * scale; ++x, out += dst_channels) {
      const unsigned char* p = row + (x / scale) * c;
      for (int64_t k = 0; k < dst_channels; ++k) out[k] = p[c == 1 ? 0 : k];
    }
  }
}

void check_side(int64_t w, int64_t h, const std::string& path) {
  if (w > kMaxSide || h > kMaxSide) {
    throw UsageError("the picture would be " + std::to_string(w) + "x" + std::to_string(h) + " px, over " +
                     std::to_string(kMaxSide) + " (" + path + ")");
  }
}

std::string block_name(int64_t k) {
  static const char* const names[] = {"x", "v", "a"};
  return k < 3 ? names[k] : "b" + std::to_string(k);
}

std::string time_label(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", t);
  return buf;
}

}  // namespace

at::Tensor to_uint8_nhwc(const at::Tensor& x, bool centered) {
  if (x.dim() != 4) throw UsageError("images must have shape [N, C, H, W], got " + shape_of(x));
  at::Tensor y = x.detach().to(at::kCPU, x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat);
  if (centered) y = (y + 1) / 2;
  // torchvision's save_image: mul(255).add_(0.5).clamp_(0, 255), then truncation.
  y = at::nan_to_num(y * 255 + 0.5, 0.0).clamp(0, 255);
  return y.to(at::kByte).permute({0, 2, 3, 1}).contiguous();
}

void write_image_grid_png(const std::string& path, const at::Tensor& x, int64_t nrow, bool centered, int64_t padding,
                          int64_t scale) {
  if (x.dim() != 4 || x.size(0) < 1 || (x.size(1) != 1 && x.size(1) != 3)) {
    throw UsageError("an image grid needs images of shape [N >= 1, C = 1 or 3, H, W], got " + shape_of(x) + " (" +
                     path + ")");
  }
  if (nrow < 0 || padding < 0 || scale < 1) {
    throw UsageError("an image grid needs nrow >= 0, padding >= 0, scale >= 1, got " + std::to_string(nrow) + ", " +
                     std::to_string(padding) + ", " + std::to_string(scale) + " (" + path + ")");
  }
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  int64_t cols = nrow > 0 ? std::min(nrow, n) : 1;
  if (nrow == 0) {
    while (cols * cols < n) ++cols;
  }
  const int64_t rows = (n + cols - 1) / cols;
  const int64_t tile_w = w * scale + padding, tile_h = h * scale + padding;
  const int64_t width = cols * tile_w + padding, height = rows * tile_h + padding;
  check_side(width, height, path);

  const at::Tensor pixels = to_uint8_nhwc(x, centered);
  std::vector<unsigned char> out(static_cast<size_t>(width * height * c), kGridPadValue);
  for (int64_t i = 0; i < n; ++i) {
    blit(out.data(), width, c, padding + (i % cols) * tile_w, padding + (i / cols) * tile_h,
         pixels.data_ptr<uint8_t>() + i * h * w * c, h, w, c, scale);
  }
  write_png(path, static_cast<int>(width), static_cast<int>(height), static_cast<int>(c), out.data());
}

void write_trajectory_png(const std::string& path, const std::vector<at::Tensor>& states,
                          const std::vector<double>& times, int64_t num_blocks, bool centered) {
  if (states.empty() || states.size() != times.size()) {
    throw UsageError("a trajectory picture needs one time per state and at least one state, got " +
                     std::to_string(states.size()) + " states and " + std::to_string(times.size()) + " times (" + path +
                     ")");
  }
  const at::Tensor& first = states.front();
  if (num_blocks < 1 || first.dim() != 4 || first.size(0) < 1 || first.size(1) % num_blocks != 0 ||
      (first.size(1) / num_blocks != 1 && first.size(1) / num_blocks != 3)) {
    throw UsageError(
        "a trajectory picture needs states of shape [S, K·C, H, W] with K = " + std::to_string(num_blocks) +
        " blocks of C = 1 or 3 channels, got " + shape_of(first) + " (" + path + ")");
  }
  for (const at::Tensor& s : states) {
    if (s.sizes() != first.sizes()) {
      throw UsageError("trajectory states differ in shape: " + shape_of(first) + " and " + shape_of(s) + " (" + path +
                       ")");
    }
  }
  const int64_t num_samples = first.size(0), k_blocks = num_blocks, c = first.size(1) / num_blocks;
  const int64_t h = first.size(2), w = first.size(3), num_times = static_cast<int64_t>(states.size());
  const int64_t scale = std::max<int64_t>(1, (64 + std::max(h, w) - 1) / std::max(h, w));
  const int64_t tile_w = w * scale, tile_h = h * scale;
  constexpr int64_t kGap = 2, kSampleGap = 8, kMargin = 8, kLabelRow = 26;
  constexpr float kTextScale = 2.0f, kTextHeight = 7 * kTextScale;

  std::vector<std::string> row_labels;
  for (int64_t s = 0; s < num_samples; ++s)
    for (int64_t k = 0; k < k_blocks; ++k)
      row_labels.push_back(block_name(k) + (num_samples > 1 ? "[" + std::to_string(s) + "]" : ""));
  float label_w = text_width_px("t", kTextScale);
  for (const std::string& l : row_labels) label_w = std::max(label_w, text_width_px(l, kTextScale));
  const int64_t left = kMargin + static_cast<int64_t>(std::ceil(label_w)) + kMargin;
  const int64_t rows = num_samples * k_blocks;
  const int64_t width = left + num_times * tile_w + (num_times - 1) * kGap + kMargin;
  const int64_t height = kLabelRow + rows * tile_h + (rows - 1) * kGap + (num_samples - 1) * kSampleGap + kMargin;
  check_side(width, height, path);
  const auto row_top = [&](int64_t r) { return kLabelRow + r * (tile_h + kGap) + (r / k_blocks) * kSampleGap; };
  const auto col_left = [&](int64_t i) { return left + i * (tile_w + kGap); };

  std::vector<unsigned char> out(static_cast<size_t>(width * height * 3));
  for (size_t i = 0; i < out.size(); ++i) out[i] = kBackground[i % 3];
  for (int64_t i = 0; i < num_times; ++i) {
    const at::Tensor blocks = states[i].detach().to(at::kCPU, at::kDouble).reshape({num_samples, k_blocks, c, h, w});
    at::Tensor aux = blocks.slice(1, 1);
    const at::Tensor rms = aux.square().mean({2, 3, 4}, /*keepdim=*/true).sqrt();
    aux = at::where(rms > 0, aux / (6 * rms), at::zeros_like(aux)) + 0.5;  // ±3 RMS → [0, 1]
    const at::Tensor x_pixels = to_uint8_nhwc(blocks.select(1, 0), centered);
    const at::Tensor aux_pixels = to_uint8_nhwc(aux.reshape({-1, c, h, w}), /*centered=*/false);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t s = r / k_blocks, k = r % k_blocks;
      const uint8_t* src = k == 0 ? x_pixels.data_ptr<uint8_t>() + s * h * w * c
                                  : aux_pixels.data_ptr<uint8_t>() + (s * (k_blocks - 1) + k - 1) * h * w * c;
      blit(out.data(), width, 3, col_left(i), row_top(r), src, h, w, c, scale);
    }
    // A shorter label when the wider one does not fit over the tile.
    const std::string label = time_label(times[i]);
    const float text_scale = text_width_px(label, kTextScale) <= tile_w + kGap ? kTextScale : 1.0f;
    draw_text_rgb8(out.data(), static_cast<int>(width), static_cast<int>(height),
                   col_left(i) + (tile_w - text_width_px(label, text_scale)) / 2.0f, kLabelRow - 6 - 7 * text_scale,
                   label, kInk, text_scale);
  }
  const auto right_aligned = [&](const std::string& l, float y) {
    draw_text_rgb8(out.data(), static_cast<int>(width), static_cast<int>(height),
                   left - kMargin - text_width_px(l, kTextScale), y, l, kInk, kTextScale);
  };
  right_aligned("t", kLabelRow - 6 - kTextHeight);
  for (int64_t r = 0; r < rows; ++r) right_aligned(row_labels[r], row_top(r) + (tile_h - kTextHeight) / 2.0f);
  write_png(path, static_cast<int>(width), static_cast<int>(height), 3, out.data());
}

}  // namespace hold
