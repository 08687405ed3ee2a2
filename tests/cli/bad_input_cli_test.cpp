// Bad input of every kind gets one line naming the key or path and exit 2
// (issue 6): config values and combinations, and malformed files of each kind.
#include <ATen/ATen.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "hold/io/npz.h"
#include "support/cli_errors.h"
#include "support/run_tool.h"
#include "support/temp_dir.h"

#include <catch2/catch.hpp>

using namespace hold;

namespace {}  // namespace

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
      {"train.lerning_rate=1", "train.lerning_rate"},                                // unknown key
      {"objective.name=classifier --set data.name=checkerboard", "objective.name"},  // no class labels
      {"objective.name=classifier --set objective.target=all", "objective.target"},
      {"model.num_classes=3", "model.num_classes"},  // the swiss roll has 5 rolls
      {"model.num_classes=5 --set objective.name=classifier", "model.num_classes"},
      {"model.label_dropout=1.5", "model.label_dropout"},
  };
  for (const auto& [set, key] : cases) {
    INFO("--set " << set);
    test::check_one_line_error(test::run_tool("hold-train --dry-run --config " + config + " --set " + set), key);
  }
}

TEST_CASE("malformed files of each kind: exit 2 naming the path", "[cli][reliability]") {
  test::TempDir dir;
  const std::string toy = std::string(HOLD_SOURCE_DIR) + "/configs/toy_swissroll_hold.yaml";
  // Config: missing, and not YAML.
  test::check_one_line_error(test::run_tool("hold-train --dry-run --config " + dir.file("nope.yaml")),
                             dir.file("nope.yaml"));
  std::ofstream(dir.file("bad.yaml")) << "sde: {name: hold\n";
  test::check_one_line_error(test::run_tool("hold-train --dry-run --config " + dir.file("bad.yaml")),
                             dir.file("bad.yaml"));
  // Checkpoint: empty, truncated.
  std::ofstream(dir.file("empty.pt")).flush();
  test::check_one_line_error(
      test::run_tool("hold-sample --config " + toy + " --ckpt " + dir.file("empty.pt") + " --out " + dir.file("o")),
      dir.file("empty.pt"));
  std::ofstream(dir.file("cut.pt"), std::ios::binary) << std::string("PK\x03\x04", 4) << std::string(100, '\0');
  test::check_one_line_error(
      test::run_tool("hold-sample --config " + toy + " --ckpt " + dir.file("cut.pt") + " --out " + dir.file("o")),
      dir.file("cut.pt"));
  // Statistics file without sigma; npz that is not a zip.
  write_npz(dir.file("mu_only.npz"), {{"mu", at::zeros({3}, at::kDouble)}});
  test::check_one_line_error(
      test::run_tool("hold-fid score " + dir.file("mu_only.npz") + " " + dir.file("mu_only.npz")),
      dir.file("mu_only.npz"));
  std::ofstream(dir.file("text.npz")) << "hello\n";
  test::check_one_line_error(test::run_tool("hold-fid score " + dir.file("text.npz") + " " + dir.file("mu_only.npz")),
                             dir.file("text.npz"));
  // Image data: a missing folder.
  std::ofstream(dir.file("img.yaml")) << "data: {name: mnist, path: " << dir.file("no_data")
                                      << "}\nmodel: {name: ncsnpp, ch_mult: [1, 2], attn_resolutions: []}\n";
  test::check_one_line_error(
      test::run_tool("hold-train --config " + dir.file("img.yaml") + " --workdir " + dir.file("run")),
      dir.file("no_data"));
}

TEST_CASE("output paths are checked before any work: exit 2 naming the flag and the path", "[cli][reliability]") {
  test::TempDir dir;
  const std::string oracle = std::string(HOLD_SOURCE_DIR) + "/configs/oracle_gmm2d_hold.yaml";
  const std::string toy = std::string(HOLD_SOURCE_DIR) + "/configs/toy_swissroll_hold.yaml";
  std::ofstream(dir.file("a_file")) << "not a folder\n";
  const std::string under_file = dir.file("a_file/out");
  // A parent that is a file, for every tool that writes.
  test::check_one_line_error(test::run_tool("hold-sample --config " + oracle + " --n 4 --out " + under_file),
                             "--out " + under_file);
  test::check_one_line_error(test::run_tool("hold-train --config " + toy + " --max-steps 1 --workdir " + under_file),
                             "--workdir " + under_file);
  test::check_one_line_error(test::run_tool("hold-nll --config " + oracle + " --n 2 --json " + under_file + ".json"),
                             "--json " + under_file + ".json");
  test::check_one_line_error(
      test::run_tool("hold-nll --config " + oracle + " --n 2 --per-point " + under_file + ".npz"),
      "--per-point " + under_file + ".npz");
  test::check_one_line_error(
      test::run_tool("hold-fid export --config " + oracle + " --n 2 --out " + under_file + ".npz"),
      "--out " + under_file + ".npz");
  test::check_one_line_error(
      test::run_tool("hold-inspect --plot-metrics " + dir.file("m.jsonl") + " --out " + under_file + ".png"),
      "--out " + under_file + ".png");
  // A folder where a file is to be written, and a folder we may not write in.
  test::check_one_line_error(test::run_tool("hold-nll --config " + oracle + " --n 2 --json " + dir.path()), "--json");
  if (::geteuid() != 0) {  // root writes anywhere
    const std::string locked = dir.file("locked");
    std::filesystem::create_directory(locked);
    std::filesystem::permissions(locked, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    test::check_one_line_error(test::run_tool("hold-sample --config " + oracle + " --n 4 --out " + locked + "/run"),
                               "cannot write in '" + locked + "'");
    std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
  }
}

TEST_CASE("an empty config file and out-of-range numbers on the command line: exit 2 naming them",
          "[cli][reliability]") {
  test::TempDir dir;
  std::ofstream(dir.file("empty.yaml")) << "# nothing set yet\n";
  test::check_one_line_error(test::run_tool("hold-train --dry-run --config " + dir.file("empty.yaml")),
                             "the config file is empty");
  const std::string oracle = std::string(HOLD_SOURCE_DIR) + "/configs/oracle_gmm2d_hold.yaml";
  const std::string out = " --out " + dir.file("s");
  const std::vector<std::pair<std::string, std::string>> cases{
      {"hold-sample --n -4" + out, "--n"},
      {"hold-sample --nfe -10" + out, "--nfe"},
      {"hold-sample --threads -1" + out, "--threads"},
      {"hold-sample --seed -3" + out, "--seed"},
      {"hold-sample --batch -2" + out, "--batch"},
      {"hold-sample --trajectory -1" + out, "--trajectory"},
      {"hold-sample --set sample.t_s=-0.1" + out, "sample.t_s"},
      {"hold-nll --probes -1", "--probes"},
      {"hold-nll --batch 0", "--batch"},
      {"hold-fid export --batch -5 --out " + dir.file("e.npz"), "--batch"},
      {"hold-inspect --t -0.5", "--t"},
      {"hold-train --dry-run --max-steps -1", "--max-steps"},
  };
  for (const auto& [args, flag] : cases) {
    const auto space = args.find(' ');
    const std::string cmd = args.substr(0, space) + " --config " + oracle + args.substr(space);
    INFO(cmd);
    test::check_one_line_error(test::run_tool(cmd), flag);
  }
}
