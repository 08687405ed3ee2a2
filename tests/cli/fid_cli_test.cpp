// hold-fid through the CLI: score of two statistics files equals the closed
// form of diagonal Gaussians; stats runs a TorchScript extractor built here
// (of an npz and of a configured MNIST-format data set: the same statistics);
// score of images against statistics equals score of the two statistics
// files; usage errors exit 2 naming the file; export is exact and resumable.
#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "hold/io/npz.h"
#include "support/run_tool.h"
#include "support/temp_dir.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

using namespace hold;

TEST_CASE("hold-fid score prints the Frechet distance of two statistics files", "[cli][fid]") {
  test::TempDir dir;
  const auto a = at::tensor({0.5, 2.0, 1.0}, at::kDouble), b = at::tensor({1.5, 0.1, 4.0}, at::kDouble);
  const auto mu1 = at::tensor({0.0, 1.0, -2.0}, at::kDouble), mu2 = at::tensor({1.0, 1.0, 0.0}, at::kDouble);
  write_npz(dir.file("a.npz"), {{"mu", mu1}, {"sigma", at::diag(a)}});
  write_npz(dir.file("b.npz"), {{"mu", mu2.to(at::kFloat)}, {"sigma", at::diag(b).to(at::kFloat)}});
  const double expected =
      (mu1 - mu2).square().sum().item<double>() + (a.sqrt() - b.sqrt()).square().sum().item<double>();

  const auto r = test::run_tool("hold-fid score " + dir.file("a.npz") + " " + dir.file("b.npz"));
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto at_fid = r.out.find("fid: ");
  REQUIRE(at_fid != std::string::npos);
  CHECK(std::stod(r.out.substr(at_fid + 5)) == Approx(expected).epsilon(1e-6));

  write_npz(dir.file("bad.npz"), {{"mu", mu1}});
  const auto bad = test::run_tool("hold-fid score " + dir.file("a.npz") + " " + dir.file("bad.npz"));
  CHECK(bad.code == 2);
  CHECK(bad.out.find("'sigma'") != std::string::npos);
  CHECK(bad.out.find(dir.file("bad.npz")) != std::string::npos);
}

#include <torch/script.h>

#include "hold/metrics/frechet.h"

TEST_CASE("hold-fid stats runs a TorchScript extractor and score compares its statistics", "[cli][fid]") {
  test::TempDir dir;
  // A stand-in extractor: per-channel mean brightness in [0, 1] (features [N, 3]),
  // returned first in a tuple, as the calling convention allows.
  torch::jit::Module extractor("Features");
  extractor.define(R"(
def forward(self, x):
    return (x.mean(dim=[2, 3]) / 255.0, x)
)");
  extractor.save(dir.file("features.pt"));
  at::manual_seed(4);
  const auto images = at::randint(0, 256, {37, 5, 6, 3}, at::kByte);
  write_npz(dir.file("images.npz"), {{"arr_0", images}});

  const auto r = test::run_tool("hold-fid stats " + dir.file("images.npz") + " --extractor " + dir.file("features.pt") +
                                " --out " + dir.file("stats.npz") + " --batch 10");
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto stats = read_npz(dir.file("stats.npz"));
  const FeatureStats expected = feature_stats(images.to(at::kDouble).mean({1, 2}) / 255.0);
  CHECK(stats.at("mu").scalar_type() == at::kDouble);
  CHECK(at::allclose(stats.at("mu"), expected.mu, 1e-6, 1e-12));
  CHECK(at::allclose(stats.at("sigma"), expected.sigma, 1e-4, 1e-9));  // features in float32

  const auto same = test::run_tool("hold-fid score " + dir.file("stats.npz") + " " + dir.file("stats.npz"));
  CHECK(same.code == 0);
  CHECK(std::abs(std::stod(same.out.substr(same.out.find("fid: ") + 5))) < 1e-6);

  const auto missing = test::run_tool("hold-fid stats " + dir.file("images.npz") + " --extractor " +
                                      dir.file("nope.pt") + " --out " + dir.file("s2.npz"));
  CHECK(missing.code == 2);
  CHECK(missing.out.find(dir.file("nope.pt")) != std::string::npos);
}

#include "support/idx_files.h"

TEST_CASE("hold-fid stats of a configured data set and score of images against statistics", "[cli][fid]") {
  test::TempDir dir;
  // Features: the channel means and the first row of channel 0 (so that a
  // transposed or flipped image changes them), [N, 3 + 8], in [0, 1].
  torch::jit::Module extractor("Features");
  extractor.define(R"(
def forward(self, x):
    return torch.cat([x.mean(dim=[2, 3]), x[:, 0, 0, :]], 1) / 255.0
)");
  extractor.save(dir.file("features.pt"));
  // The same 9 grey 8×8 images as an MNIST-format data set and as an npz.
  test::write_mnist_folder(dir.file("data"), 9, 8);
  std::ofstream(dir.file("data.yaml")) << "data: {name: mnist, path: " << dir.file("data") << "}\n"
                                       << "model: {name: ncsnpp, ch_mult: [1, 2], attn_resolutions: []}\n";
  at::Tensor images = at::empty({9, 8, 8, 1}, at::kByte);
  for (int64_t k = 0; k < 9; ++k)
    for (int64_t y = 0; y < 8; ++y)
      for (int64_t x = 0; x < 8; ++x) images[k][y][x][0] = test::idx_pixel(k, y, x);
  write_npz(dir.file("images.npz"), {{"arr_0", images}});
  const std::string with = " --extractor " + dir.file("features.pt") + " --out ";

  const auto from_config = test::run_tool("hold-fid stats --config " + dir.file("data.yaml") + " --split train" + with +
                                          dir.file("config_stats.npz"));
  INFO(from_config.out);
  REQUIRE(from_config.code == 0);
  const auto from_npz = test::run_tool("hold-fid stats " + dir.file("images.npz") + with + dir.file("npz_stats.npz"));
  REQUIRE(from_npz.code == 0);
  const auto a = read_npz(dir.file("config_stats.npz")), b = read_npz(dir.file("npz_stats.npz"));
  CHECK(at::allclose(a.at("mu"), b.at("mu"), 0, 1e-12));
  CHECK(at::allclose(a.at("sigma"), b.at("sigma"), 0, 1e-12));
  // Grey images reach the extractor as 3 equal channels: mu starts with 3 × the mean brightness.
  const double brightness = images.to(at::kDouble).mean().item<double>() / 255.0;
  CHECK(a.at("mu").size(0) == 11);
  CHECK(at::allclose(a.at("mu").slice(0, 0, 3), at::full({3}, brightness, at::kDouble), 0, 1e-6));  // float32 features

  // score: images against statistics prints the fid of the two statistics
  // files, whichever argument holds the images.
  const auto fid_line = [](const std::string& out) {
    const auto at = out.find("fid: ");
    return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
  };
  write_npz(dir.file("other.npz"), {{"arr_0", at::div(images, 2, "floor").to(at::kByte).contiguous()}});
  REQUIRE(test::run_tool("hold-fid stats " + dir.file("other.npz") + with + dir.file("other_stats.npz")).code == 0);
  const auto two_files =
      test::run_tool("hold-fid score " + dir.file("other_stats.npz") + " " + dir.file("npz_stats.npz"));
  INFO(two_files.out);
  REQUIRE(two_files.code == 0);
  CHECK(std::stod(fid_line(two_files.out).substr(5)) > 0.01);
  const std::string with_extractor = " --extractor " + dir.file("features.pt");
  const auto images_first = test::run_tool("hold-fid score " + dir.file("other.npz") + " " + dir.file("npz_stats.npz") +
                                           with_extractor + " --device cpu");
  INFO(images_first.out);
  REQUIRE(images_first.code == 0);
  CHECK(fid_line(images_first.out) == fid_line(two_files.out));
  const auto images_second =
      test::run_tool("hold-fid score " + dir.file("other_stats.npz") + " " + dir.file("images.npz") + with_extractor);
  REQUIRE(images_second.code == 0);
  CHECK(fid_line(images_second.out) == fid_line(two_files.out));

  // Images without an extractor: one line naming the file, exit 2.
  const auto no_extractor = test::run_tool("hold-fid score " + dir.file("other.npz") + " " + dir.file("npz_stats.npz"));
  CHECK(no_extractor.code == 2);
  CHECK(no_extractor.out.rfind("error: ", 0) == 0);
  CHECK(std::count(no_extractor.out.begin(), no_extractor.out.end(), '\n') == 1);
  CHECK(no_extractor.out.find("--extractor") != std::string::npos);
  CHECK(no_extractor.out.find(dir.file("other.npz")) != std::string::npos);
  // Images that are not uint8 NHWC: exit 2 naming the file, not the extractor.
  write_npz(dir.file("float.npz"), {{"arr_0", images.to(at::kFloat)}});
  const auto not_uint8 =
      test::run_tool("hold-fid score " + dir.file("float.npz") + " " + dir.file("npz_stats.npz") + with_extractor);
  CHECK(not_uint8.code == 2);
  CHECK(not_uint8.out.find(dir.file("float.npz")) != std::string::npos);

  // stats given both inputs (said before the config is read) or neither, or
  // --split for an npz: exit 2.
  const auto both = test::run_tool("hold-fid stats " + dir.file("images.npz") + " --config " + dir.file("none.yaml") +
                                   with + dir.file("x.npz"));
  CHECK(both.code == 2);
  CHECK(both.out.find("not both") != std::string::npos);
  const auto neither = test::run_tool("hold-fid stats" + with + dir.file("x.npz"));
  CHECK(neither.code == 2);
  CHECK(neither.out.find("--config") != std::string::npos);
  const auto split =
      test::run_tool("hold-fid stats " + dir.file("images.npz") + " --split test" + with + dir.file("x.npz"));
  CHECK(split.code == 2);
  CHECK(split.out.find("--split") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("x.npz")));
}

#include "support/tiny_image_run.h"

TEST_CASE("hold-fid export yields exactly N samples, resumes without changing them, and writes PNGs", "[cli][fid]") {
  test::TempDir dir;
  const test::TinyImageRun run = test::train_tiny_image_model(dir.path());
  INFO(run.training.out);
  REQUIRE(run.training.code == 0);
  const std::string base = "hold-fid export " + run.config + " --ckpt " + run.ckpt + " --n 7 --batch 3 --nfe 4";

  const auto first = test::run_tool(base + " --out " + dir.file("a.npz"));
  INFO(first.out);
  REQUIRE(first.code == 0);
  const at::Tensor a = read_npz(dir.file("a.npz")).at("arr_0");
  CHECK(a.scalar_type() == at::kByte);
  CHECK(a.sizes() == at::IntArrayRef({7, 8, 8, 1}));
  CHECK_FALSE(std::filesystem::exists(dir.file("a.npz.parts")));

  // An export interrupted after its first batch (its part file exists, the
  // rest not) resumes there and ends with the same samples.
  const auto interrupted = test::run_tool(base + " --out " + dir.file("b.npz"));
  REQUIRE(interrupted.code == 0);
  std::filesystem::create_directories(dir.file("c.npz.parts"));
  write_npz(dir.file("c.npz.parts/part_0.npz"), {{"images", a.slice(0, 0, 3)}});
  const auto resumed = test::run_tool(base + " --out " + dir.file("c.npz"));
  INFO(resumed.out);
  REQUIRE(resumed.code == 0);
  CHECK(resumed.out.find("resuming: 1 of 3 batches") != std::string::npos);
  CHECK(at::equal(read_npz(dir.file("c.npz")).at("arr_0"), a));
  CHECK(at::equal(read_npz(dir.file("b.npz")).at("arr_0"), a));  // deterministic

  // A real kill -9 while batch 3 of 12 is being drawn, then a restart: exactly
  // the samples of an uninterrupted export, none lost or duplicated.
  const std::string many = "hold-fid export " + run.config + " --ckpt " + run.ckpt + " --n 12 --batch 1 --nfe 4";
  REQUIRE(test::run_tool(many + " --out " + dir.file("whole.npz")).code == 0);
  const std::string parts = dir.file("killed.npz.parts");
  const auto killed = test::run_tool(
      many + " --out " + dir.file("killed.npz") + " > /dev/null 2>&1 & p=$!; " + "while [ ! -e " + parts +
      "/part_2.npz ] && kill -0 $p 2>/dev/null; do sleep 0.002; done; " + "kill -9 $p; wait $p; echo status=$?");
  INFO(killed.out);
  CHECK(killed.out.find("status=137") != std::string::npos);  // it really died mid-run
  CHECK_FALSE(std::filesystem::exists(dir.file("killed.npz")));
  const auto restarted = test::run_tool(many + " --out " + dir.file("killed.npz"));
  INFO(restarted.out);
  REQUIRE(restarted.code == 0);
  CHECK(restarted.out.find("resuming: ") != std::string::npos);
  const at::Tensor whole = read_npz(dir.file("whole.npz")).at("arr_0");
  CHECK(whole.size(0) == 12);
  CHECK(at::equal(read_npz(dir.file("killed.npz")).at("arr_0"), whole));

  // Sharded over 2 processes (rank r draws batches k ≡ r mod 2; rank 0
  // merges): exactly the one-process samples, none lost or duplicated.
  const auto sharded =
      test::run_shell("MASTER_PORT=" + std::to_string(41000 + ::getpid() % 1000) + " bash " + HOLD_SOURCE_DIR +
                      "/scripts/launch_local.sh 2 " + test::tool_path(base) + " --out " + dir.file("sharded.npz"));
  INFO(sharded.out);
  REQUIRE(sharded.code == 0);
  CHECK(at::equal(read_npz(dir.file("sharded.npz")).at("arr_0"), a));

  const auto png = test::run_tool(base + " --format png --out " + dir.file("pngs"));
  REQUIRE(png.code == 0);
  int count = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.file("pngs"))) count += e.path().extension() == ".png";
  CHECK(count == 7);
}
