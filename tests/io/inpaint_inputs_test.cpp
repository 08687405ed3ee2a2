// io/inpaint_inputs.h: hold-sample's --inpaint / --mask / --colorize read
// into known data, with the image shapes, presets and broadcasting.
#include "hold/io/inpaint_inputs.h"

#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "hold/core/error.h"
#include "hold/io/npz.h"
#include "hold/io/plot.h"
#include "support/temp_dir.h"

namespace hold {
namespace {

std::string error_of(const InpaintInputs& in, std::vector<int64_t> shape, int64_t n) {
  try {
    read_known_data(in, shape, n, 0);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("Image masks: presets, npz shapes, PNG; uint8 images become the data scale", "[io][inpaint]") {
  test::TempDir dir;
  const std::vector<int64_t> shape{3, 8, 8};
  write_npz(dir.file("x.npz"), {{"x", at::full({1, 3, 8, 8}, 255, at::kByte)}});
  InpaintInputs in;
  in.inpaint = dir.file("x.npz");
  in.mask = "left-half";
  KnownData k = read_known_data(in, shape, 5, 0);
  CHECK(k.x.sizes() == at::IntArrayRef({1, 3, 8, 8}));
  CHECK(k.x.eq(1.0f).all().item<bool>());  // 255 → 1 in [-1, 1]
  CHECK(k.mask.sizes() == at::IntArrayRef({1, 1, 8, 8}));
  CHECK(k.mask.narrow(3, 0, 4).eq(0).all().item<bool>());  // the left half hidden
  CHECK(k.mask.narrow(3, 4, 4).eq(1).all().item<bool>());
  in.mask = "center-square";
  k = read_known_data(in, shape, 5, 0);
  CHECK(k.mask.sum().item<double>() == 64 - 16);
  CHECK(k.mask[0][0][3][3].item<double>() == 0);
  in.mask = "random:0.25";
  k = read_known_data(in, shape, 5, 7);
  CHECK(k.mask.sizes() == at::IntArrayRef({5, 1, 8, 8}));  // one per sample, all channels of a pixel
  CHECK(k.mask.mean().item<double>() == Approx(0.75).margin(0.1));
  CHECK(read_known_data(in, shape, 5, 7).mask.equal(k.mask));  // from the seed
  const KnownData rows = known_rows(k, 2, 3);
  CHECK(rows.mask.equal(k.mask.narrow(0, 2, 3)));
  CHECK(rows.x.size(0) == 1);  // broadcast stays
  in.mask = "random:0";
  CHECK(read_known_data(in, shape, 5, 7).mask.eq(1).all().item<bool>());
  // npz masks [H, W], [C, H, W], [n, C, H, W].
  write_npz(dir.file("hw.npz"), {{"mask", at::ones({8, 8}, at::kBool)}});
  in.mask = dir.file("hw.npz");
  CHECK(read_known_data(in, shape, 5, 0).mask.sizes() == at::IntArrayRef({1, 1, 8, 8}));
  write_npz(dir.file("nchw.npz"), {{"mask", at::zeros({5, 3, 8, 8})}});
  in.mask = dir.file("nchw.npz");
  CHECK(read_known_data(in, shape, 5, 0).mask.sizes() == at::IntArrayRef({5, 3, 8, 8}));
  CHECK_THAT(error_of(in, shape, 4), Catch::Contains("(--mask)"));  // 5 rows for --n 4
  write_npz(dir.file("bad.npz"), {{"mask", at::ones({7, 8})}});
  in.mask = dir.file("bad.npz");
  CHECK_THAT(error_of(in, shape, 5), Catch::Contains("(--mask)"));
  // A PNG: white (≥ 128) known.
  std::vector<unsigned char> pixels(64, 255);
  for (int y = 0; y < 8; ++y) pixels[y * 8] = 0;
  write_png(dir.file("m.png"), 8, 8, 1, pixels.data());
  in.mask = dir.file("m.png");
  k = read_known_data(in, shape, 5, 0);
  CHECK(k.mask.sum().item<double>() == 56);
  CHECK(k.mask[0][0][2][0].item<double>() == 0);
  // The images' shape must be the data's.
  write_npz(dir.file("small.npz"), {{"x", at::zeros({1, 3, 4, 4})}});
  in.inpaint = dir.file("small.npz");
  CHECK_THAT(error_of(in, shape, 5), Catch::Contains("(--inpaint)"));
}

TEST_CASE("Colorization inputs: RGB images only, grey known, no mask", "[io][inpaint][colorize]") {
  test::TempDir dir;
  write_npz(dir.file("rgb.npz"), {{"x", at::rand({2, 3, 4, 4}) * 2 - 1}});
  InpaintInputs in;
  in.colorize = dir.file("rgb.npz");
  const KnownData k = read_known_data(in, {3, 4, 4}, 2, 0);
  CHECK(k.channels.rows() == 3);
  CHECK(k.mask.sizes() == at::IntArrayRef({1, 3, 1, 1}));
  CHECK_THAT(error_of(in, {1, 4, 4}, 2), Catch::Contains("(--colorize)"));  // one-channel data
  CHECK_THAT(error_of(in, {3, 8, 8}, 2), Catch::Contains("(--colorize)"));  // another size
  in.mask = "left-half";
  CHECK_THAT(error_of(in, {3, 4, 4}, 2), Catch::Contains("(--colorize)"));
}

}  // namespace hold
