// Bad input of every kind gets one line naming the key or path and exit 2
// (issue 6): config values and combinations, and malformed files of each kind.
#include <ATen/ATen.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "hold/io/npz.h"
#include "support/run_tool.h"
#include "support/temp_dir.h"

#include <catch2/catch.hpp>

using namespace hold;

namespace {

/// Exit 2 and a single "error: ..." line that contains `needle`.
void check_one_line_error(const test::ToolRun& r, const std::string& needle) {
  INFO(r.out);
  CHECK(r.code == 2);
  const auto at = r.out.find("error: ");
  REQUIRE(at != std::string::npos);
  const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
  CHECK(line.find(needle) != std::string::npos);
  CHECK(r.out.find("terminate") == std::string::npos);
  CHECK(r.out.find("frame #") == std::string::npos);
}

}  // namespace

TEST_CASE("bad config values and combinations: exit 2 naming the key", "[cli][reliability]") {
  const std::string config = std::string(HOLD_SOURCE_DIR) + "/configs/toy_swissroll_hold.yaml";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"sde.name=ve --set sample.method=lt", "sample.method"},   // lt with ve
      {"sde.name=cld --set sample.method=pc", "sample.method"},  // pc with K = 2
      {"objective.blocks=[v]", "objective.blocks"},              // bcsm without the data block
      {"sde.roots=[1,-2,-3]", "sde.roots"},                      // an unstable drift: no stationary law
      {"sample.nfe=0", "sample.nfe"},
      {"sde.eps=-0.1", "sde.eps"},
      {"train.lr=0", "train.lr"},
      {"train.max_nonfinite=0", "train.max_nonfinite"},
      {"model.hidden=abc", "model.hidden"},  // wrong type
      {"likelihood.t_eps=2", "likelihood.t_eps"},
      {"distributed.backend=mpi", "distributed.backend"},
      {"train.lerning_rate=1", "train.lerning_rate"},  // unknown key
  };
  for (const auto& [set, key] : cases) {
    INFO("--set " << set);
    check_one_line_error(test::run_tool("hold-train --dry-run --config " + config + " --set " + set), key);
  }
}

TEST_CASE("malformed files of each kind: exit 2 naming the path", "[cli][reliability]") {
  test::TempDir dir;
  const std::string toy = std::string(HOLD_SOURCE_DIR) + "/configs/toy_swissroll_hold.yaml";
  // Config: missing, and not YAML.
  check_one_line_error(test::run_tool("hold-train --dry-run --config " + dir.file("nope.yaml")), dir.file("nope.yaml"));
  std::ofstream(dir.file("bad.yaml")) << "sde: {name: hold\n";
  check_one_line_error(test::run_tool("hold-train --dry-run --config " + dir.file("bad.yaml")), dir.file("bad.yaml"));
  // Checkpoint: empty, truncated.
  std::ofstream(dir.file("empty.pt")).flush();
  check_one_line_error(
      test::run_tool("hold-sample --config " + toy + " --ckpt " + dir.file("empty.pt") + " --out " + dir.file("o")),
      dir.file("empty.pt"));
  std::ofstream(dir.file("cut.pt"), std::ios::binary) << std::string("PK\x03\x04", 4) << std::string(100, '\0');
  check_one_line_error(
      test::run_tool("hold-sample --config " + toy + " --ckpt " + dir.file("cut.pt") + " --out " + dir.file("o")),
      dir.file("cut.pt"));
  // Statistics file without sigma; npz that is not a zip.
  write_npz(dir.file("mu_only.npz"), {{"mu", at::zeros({3}, at::kDouble)}});
  check_one_line_error(test::run_tool("hold-fid score " + dir.file("mu_only.npz") + " " + dir.file("mu_only.npz")),
                       dir.file("mu_only.npz"));
  std::ofstream(dir.file("text.npz")) << "hello\n";
  check_one_line_error(test::run_tool("hold-fid score " + dir.file("text.npz") + " " + dir.file("mu_only.npz")),
                       dir.file("text.npz"));
  // Image data: a missing folder.
  std::ofstream(dir.file("img.yaml")) << "data: {name: mnist, path: " << dir.file("no_data")
                                      << "}\nmodel: {name: ncsnpp, ch_mult: [1, 2], attn_resolutions: []}\n";
  check_one_line_error(test::run_tool("hold-train --config " + dir.file("img.yaml") + " --workdir " + dir.file("run")),
                       dir.file("no_data"));
}
