// hold-train and hold-sample on images, end to end: a tiny NCSN++ trained on
// 8×8 MNIST-format files; samples come back as float x and uint8 NHWC images,
// with a grid and a trajectory figure of the right sizes.
#include <ATen/ATen.h>
#include <stb_image.h>  // implementation: libstb

#include <filesystem>
#include <fstream>
#include <string>

#include "../io/temp_dir.h"
#include "io/npz.h"
#include "support/idx_files.h"
#include "support/run_tool.h"

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
  test::write_mnist_folder(dir.file("data"), 12, 8);
  std::ofstream(dir.file("run.yaml")) << "seed: 1\nthreads: 1\nsde: {name: hold}\n"
                                      << "data: {name: mnist, path: " << dir.file("data") << "}\n"
                                      << "model: {name: ncsnpp, channels: 8, ch_mult: [1, 2], num_res_blocks: 1,"
                                      << " attn_resolutions: [4], mixed_score: true}\n"
                                      << "train: {steps: 2, batch_size: 4, log_every: 1, ckpt_every: 2}\n"
                                      << "sample: {method: lt, nfe: 6, grid: uniform}\n";
  const std::string config = "--config " + dir.file("run.yaml");
  const auto trained = test::run_tool("hold-train " + config + " --workdir " + dir.file("run"));
  INFO(trained.out);
  REQUIRE(trained.code == 0);

  const auto sampled = test::run_tool("hold-sample " + config + " --ckpt " + dir.file("run/checkpoints/latest.pt") +
                                      " --n 5 --batch 2 --trajectory 3 --trajectory-samples 2 --out " +
                                      dir.file("out"));
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

  // --metrics is for toy data: a usage error.
  const auto metrics = test::run_tool("hold-sample " + config + " --ckpt " + dir.file("run/checkpoints/latest.pt") +
                                      " --n 2 --metrics --out " + dir.file("out2"));
  CHECK(metrics.code == 2);
  CHECK(metrics.out.find("hold-fid") != std::string::npos);
}
