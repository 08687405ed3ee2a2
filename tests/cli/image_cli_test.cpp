// hold-train and hold-sample on images, end to end: a tiny NCSN++ trained on
// 8×8 MNIST-format files; samples come back as float x and uint8 NHWC images,
// with a grid and a trajectory figure of the right sizes.
#include <ATen/ATen.h>
#include <stb_image.h>  // implementation: libstb

#include <filesystem>
#include <string>

#include "hold/io/npz.h"
#include "support/temp_dir.h"
#include "support/tiny_image_run.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

using namespace hold;

namespace {

/// Width and height of a PNG (0, 0 if unreadable).
std::pair<int, int> png_size(const std::string& path) {
  int w = 0, h = 0, c = 0;
  if (!stbi_info(path.c_str(), &w, &h, &c)) return {0, 0};
  return {w, h};
}

}  // namespace

TEST_CASE("hold-sample on images writes x, uint8 NHWC images, a grid and a trajectory", "[cli][images]") {
  test::TempDir dir;
  const test::TinyImageRun run = test::train_tiny_image_model(dir.path());
  INFO(run.training.out);
  REQUIRE(run.training.code == 0);
  const std::string& config = run.config;

  const auto sampled =
      test::run_tool("hold-sample " + config + " --ckpt " + run.ckpt +
                     " --n 5 --batch 2 --trajectory 3 --trajectory-samples 2 --out " + dir.file("out"));
  INFO(sampled.out);
  REQUIRE(sampled.code == 0);
  CHECK(sampled.out.find("nfe: 6") != std::string::npos);
  const auto npz = read_npz(dir.file("out/samples.npz"));
  const at::Tensor x = npz.at("x"), images = npz.at("images");
  CHECK(x.scalar_type() == at::kFloat);
  CHECK(x.sizes() == at::IntArrayRef({5, 1, 8, 8}));
  CHECK(images.scalar_type() == at::kByte);
  CHECK(images.sizes() == at::IntArrayRef({5, 8, 8, 1}));
  // images is x mapped to pixels: round(255 (x + 1) / 2), clamped.
  const auto expected = ((x.clamp(-1, 1) + 1) * 127.5 + 0.5).floor().to(at::kByte).permute({0, 2, 3, 1});
  CHECK(at::equal(images, expected));
  // Grid: 3 × 2 tiles of 8 px with 2 px padding → 32 × 22.
  CHECK(png_size(dir.file("out/grid.png")) == std::make_pair(32, 22));
  // Trajectory: 3 columns and 2 samples × 3 blocks of rows.
  const auto [tw, th] = png_size(dir.file("out/trajectory.png"));
  CHECK(tw > 3 * 8);
  CHECK(th > 6 * 8);

  // Shared by 2 processes (rank r draws batches k ≡ r mod 2, rank 0 merges):
  // exactly the one-process samples.
  const auto sharded = test::run_shell(
      "MASTER_PORT=" + std::to_string(42000 + ::getpid() % 1000) + " bash " + HOLD_SOURCE_DIR +
      "/scripts/launch_local.sh 2 " +
      test::tool_path("hold-sample " + config + " --ckpt " + run.ckpt + " --n 5 --batch 2 --out " + dir.file("out2")));
  INFO(sharded.out);
  REQUIRE(sharded.code == 0);
  CHECK(at::equal(read_npz(dir.file("out2/samples.npz")).at("x"), x));
  CHECK_FALSE(std::filesystem::exists(dir.file("out2/parts")));

  // Inpainting the samples with a centre square hidden (one batch of 2 and
  // one of 3: each takes its rows of the known images): the rest exactly kept,
  // the input picture written; colorization of one-channel data is refused.
  const auto inpainted =
      test::run_tool("hold-sample " + config + " --ckpt " + run.ckpt + " --n 5 --batch 2 --inpaint " +
                     dir.file("out/samples.npz") + " --mask center-square --out " + dir.file("inpainted"));
  INFO(inpainted.out);
  REQUIRE(inpainted.code == 0);
  const at::Tensor filled = read_npz(dir.file("inpainted/samples.npz")).at("x");
  at::Tensor kept = at::ones({8, 8}, at::kBool);
  kept.narrow(0, 2, 4).narrow(1, 2, 4).fill_(false);
  CHECK(at::equal(filled.masked_select(kept), x.masked_select(kept)));
  CHECK_FALSE(at::equal(filled, x));
  CHECK(png_size(dir.file("inpainted/input.png")) == std::make_pair(32, 22));
  const auto colorize = test::run_tool("hold-sample " + config + " --ckpt " + run.ckpt + " --n 5 --colorize " +
                                       dir.file("out/samples.npz") + " --out " + dir.file("colorized"));
  CHECK(colorize.code == 2);
  CHECK(colorize.out.find("(--colorize)") != std::string::npos);

  // --metrics is for toy data: a usage error.
  const auto metrics =
      test::run_tool("hold-sample " + config + " --ckpt " + run.ckpt + " --n 2 --metrics --out " + dir.file("out2"));
  CHECK(metrics.code == 2);
  CHECK(metrics.out.find("hold-fid") != std::string::npos);
}
