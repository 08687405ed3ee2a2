// hold-inspect --plot-metrics: a run's metrics.jsonl becomes a PNG without a
// config; a missing or malformed file is a usage error naming the path.
#include <stb_image.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <string>

#include "support/run_tool.h"
#include "support/temp_dir.h"

namespace hold {

TEST_CASE("hold-inspect --plot-metrics draws a run's curves; a bad file is exit 2 naming it", "[cli][plot]") {
  test::TempDir dir;
  {
    std::ofstream m(dir.file("metrics.jsonl"));
    for (int step = 10; step <= 400; step += 10) {
      m << "{\"step\": " << step << ", \"loss\": " << 2.0 / step << ", \"grad_norm\": " << 1.0 + 0.01 * step
        << ", \"lr\": " << std::min(1.0, step / 100.0) * 2e-4 << ", \"it_per_s\": 50}\n";
      if (step % 100 == 0) m << "{\"step\": " << step << ", \"eval_loss\": " << 2.5 / step << "}\n";
    }
    m << "{\"step\": 410, \"loss\": null}\n";  // NaN as the trainer writes it: skipped
  }
  const test::ToolRun r =
      test::run_tool("hold-inspect --plot-metrics " + dir.file("metrics.jsonl") + " --out " + dir.file("loss.png"));
  INFO(r.out);
  REQUIRE(r.code == 0);
  int w = 0, h = 0, channels = 0;
  REQUIRE(stbi_info(dir.file("loss.png").c_str(), &w, &h, &channels) == 1);
  CHECK(w == 900);
  CHECK(h == 3 * 340);  // loss, grad_norm, lr panels

  const test::ToolRun missing =
      test::run_tool("hold-inspect --plot-metrics " + dir.file("none.jsonl") + " --out " + dir.file("x.png"));
  CHECK(missing.code == 2);
  CHECK(missing.out.find(dir.file("none.jsonl")) != std::string::npos);

  std::ofstream(dir.file("bad.jsonl")) << "{\"step\": 1, \"loss\": 0.5}\n{\"step\": 2, \"lo\n";
  const test::ToolRun bad =
      test::run_tool("hold-inspect --plot-metrics " + dir.file("bad.jsonl") + " --out " + dir.file("x.png"));
  CHECK(bad.code == 2);
  CHECK(bad.out.find(dir.file("bad.jsonl") + ":2") != std::string::npos);

  const test::ToolRun no_out = test::run_tool("hold-inspect --plot-metrics " + dir.file("metrics.jsonl"));
  CHECK(no_out.code == 2);
  CHECK(no_out.out.find("--out") != std::string::npos);
}

}  // namespace hold
