// hold-sample and hold-fid export draw batch k from the same generator
// (io/batch_runner.h): for the same config, seed, sampler, NFE, --n and
// --batch, hold-sample's images (its float32 x quantised by to_uint8_nhwc,
// as the export quantises) equal the export's arr_0 byte for byte, at batch
// sizes 1 and 3, with one process and with two.
#include <ATen/ATen.h>

#include <string>

#include "hold/io/image_grid.h"
#include "hold/io/npz.h"
#include "support/run_tool.h"
#include "support/temp_dir.h"
#include "support/tiny_image_run.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

using namespace hold;

TEST_CASE("hold-sample and hold-fid export give the same images at batch sizes 1 and 3, with 1 and 2 processes",
          "[cli][images][fid]") {
  test::TempDir dir;
  const test::TinyImageRun run = test::train_tiny_image_model(dir.path());
  INFO(run.training.out);
  REQUIRE(run.training.code == 0);
  const std::string same = run.config + " --ckpt " + run.ckpt + " --seed 3 --sampler em --nfe 4 --n 5";
  int launches = 0;
  // Through scripts/launch_local.sh for 2 processes (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT).
  const auto launch = [&](int processes, const std::string& args) {
    if (processes == 1) return test::run_tool(args);
    const int port = 44000 + (::getpid() % 500) * 4 + launches++;
    return test::run_shell("MASTER_PORT=" + std::to_string(port) + " bash " + HOLD_SOURCE_DIR +
                           "/scripts/launch_local.sh 2 " + test::tool_path(args));
  };
  at::Tensor first_of_batch[2];
  for (const int batch : {1, 3}) {
    for (const int processes : {1, 2}) {
      const std::string tag = std::to_string(batch) + "_" + std::to_string(processes);
      INFO("batch " << batch << ", " << processes << " process(es)");
      const std::string with = same + " --batch " + std::to_string(batch);
      const auto sampled = launch(processes, "hold-sample " + with + " --out " + dir.file("s" + tag));
      INFO(sampled.out);
      REQUIRE(sampled.code == 0);
      const auto exported = launch(processes, "hold-fid export " + with + " --out " + dir.file("e" + tag + ".npz"));
      INFO(exported.out);
      REQUIRE(exported.code == 0);

      const auto samples = read_npz(dir.file("s" + tag + "/samples.npz"));
      const at::Tensor arr_0 = read_npz(dir.file("e" + tag + ".npz")).at("arr_0");
      REQUIRE(arr_0.sizes() == at::IntArrayRef({5, 8, 8, 1}));
      CHECK(at::equal(samples.at("images"), arr_0));
      CHECK(at::equal(to_uint8_nhwc(samples.at("x")), arr_0));
      // Sharing the batches among processes changes nothing.
      at::Tensor& reference = first_of_batch[batch == 1 ? 0 : 1];
      if (processes == 1) reference = arr_0;
      CHECK(at::equal(arr_0, reference));
    }
  }
  // The batch size does change the draws (batch k of 1 is not batch k of 3):
  // the comparisons above compared images that depend on the generators.
  CHECK_FALSE(at::equal(first_of_batch[0], first_of_batch[1]));
}
