// hold-sample --inpaint / --mask / --colorize (io/inpaint_inputs.h): a small
// oracle run keeps the known coordinate exactly, and every bad combination
// exits 2 with one line naming the flag.
#include <ATen/ATen.h>
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "hold/io/npz.h"
#include "support/cli_errors.h"
#include "support/run_tool.h"
#include "support/temp_dir.h"

using namespace hold;

namespace {

std::string oracle_config() { return std::string(HOLD_SOURCE_DIR) + "/configs/oracle_gmm2d_hold.yaml"; }

}  // namespace

TEST_CASE("hold-sample --inpaint with the oracle keeps the known coordinate and finds the two modes",
          "[cli][inpaint]") {
  test::TempDir dir;
  write_npz(dir.file("known.npz"), {{"x", at::tensor({0.8f, 0.0f}).view({1, 2})}});
  write_npz(dir.file("mask.npz"), {{"mask", at::tensor({1.0f, 0.0f})}});
  const test::ToolRun r =
      test::run_tool("hold-sample --config " + oracle_config() + " --inpaint " + dir.file("known.npz") + " --mask " +
                     dir.file("mask.npz") + " --sampler lt --nfe 60 --n 400 --out " + dir.file("out"));
  INFO(r.out);
  REQUIRE(r.code == 0);
  const at::Tensor x = read_npz(dir.file("out/samples.npz")).at("x");
  REQUIRE(x.sizes() == at::IntArrayRef({400, 2}));
  CHECK(x.select(1, 0).eq(0.8f).all().item<bool>());  // the known coordinate, bit for bit
  const at::Tensor y = x.select(1, 1);
  const double near = ((y - 0.8).abs().lt(0.2) | (y + 0.8).abs().lt(0.2)).to(at::kDouble).mean().item<double>();
  CHECK(near > 0.98);
  const double upper = y.gt(0).to(at::kDouble).mean().item<double>();
  CHECK(upper == Approx(0.5).margin(0.1));
  // The preset hides the first half of the coordinates: the second stays known.
  const test::ToolRun preset = test::run_tool("hold-sample --config " + oracle_config() + " --inpaint " +
                                              dir.file("known.npz") + " --mask left-half --inpaint-method replace" +
                                              " --sampler em --nfe 30 --n 50 --out " + dir.file("preset"));
  INFO(preset.out);
  REQUIRE(preset.code == 0);
  CHECK(read_npz(dir.file("preset/samples.npz")).at("x").select(1, 1).eq(0.0f).all().item<bool>());
}

TEST_CASE("hold-sample's inpainting flags: bad combinations exit 2 naming the flag", "[cli][inpaint][reliability]") {
  test::TempDir dir;
  write_npz(dir.file("known.npz"), {{"x", at::tensor({0.8f, 0.0f}).view({1, 2})}});
  write_npz(dir.file("known3.npz"), {{"x", at::zeros({3, 2})}});
  write_npz(dir.file("mask3.npz"), {{"mask", at::tensor({1.0f, 0.0f, 1.0f})}});
  write_npz(dir.file("half.npz"), {{"mask", at::tensor({0.5f, 1.0f})}});
  write_npz(dir.file("nomask.npz"), {{"m", at::tensor({1.0f, 0.0f})}});
  const std::string known = " --inpaint " + dir.file("known.npz");
  const std::vector<std::pair<std::string, std::string>> cases{
      {known + " --mask " + dir.file("mask3.npz"), "--mask"},                        // mask of the wrong shape
      {known + " --mask " + dir.file("half.npz"), "--mask"},                         // not 0/1
      {known + " --mask " + dir.file("nomask.npz"), "--mask"},                       // no array `mask`
      {" --mask left-half", "--mask"},                                               // mask without --inpaint
      {known, "--inpaint"},                                                          // --inpaint without a mask
      {" --inpaint " + dir.file("missing.npz") + " --mask left-half", "--inpaint"},  // missing file
      {known + " --mask " + dir.file("missing.npz"), "--mask"},
      {" --inpaint " + dir.file("known3.npz") + " --mask left-half", "--inpaint"},  // 3 rows for --n 4
      {known + " --mask random:1.5", "--mask"},                                     // fraction outside [0, 1]
      {known + " --mask random:abc", "--mask"},
      {known + " --mask center-square", "--mask"},  // an image preset on vectors
      {known + " --mask mask.png", "--mask"},       // a PNG mask on vectors
      {known + " --mask bogus", "--mask"},
      {known + " --mask left-half --inpaint-method pathh", "--inpaint-method"},
      {" --colorize " + dir.file("known.npz"), "--colorize"},  // colorize on data that are not RGB
      {" --colorize " + dir.file("known.npz") + known, "--colorize"},
      {known + " --mask left-half --metrics", "--metrics"},
  };
  for (const auto& [args, flag] : cases) {
    INFO(args);
    test::check_one_line_error(
        test::run_tool("hold-sample --config " + oracle_config() + " --n 4 --out " + dir.file("out") + args), flag);
  }
}
