// The YAML config layer: round trip, and that every class of mistake is a
// ConfigError whose message names the key and where it was set.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "hold/core/error.h"
#include "hold/io/config.h"
#include "support/temp_dir.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {
namespace {

/// The ConfigError message of parsing `text` (source "test.yaml"), or "" if it parsed.
std::string error_of(const std::string& text, const std::vector<std::string>& sets = {},
                     const std::vector<ConfigOverride>& flags = {}) {
  try {
    parse_config(text, "test.yaml", sets, flags);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;

const char* kFull = R"(
seed: 7
threads: 2
device: cpu
sample_count: 123
sde:
  name: hold
  T: 1.0
  eps: 0.05
  beta: 9.5
  order: 4
  L: 1.5
  roots: [-1, -2, -3, -4]
data:
  name: gmm
  weights: [0.25, 0.75]
  means: [[0.1, -0.2], [0.3, 0.4]]
  stds: [0.05, [0.1, 0.2]]
model:
  name: mlp
  hidden: 64
  layers: 3
  embedding: sinusoidal
  embedding_dim: 32
  fourier_scale: 3.5
  mixed_score: true
objective:
  name: bcsm
  blocks: [x, v]
  weighting: likelihood
  t_eps: 1.0e-4
train:
  steps: 2e4
  batch_size: 64
  lr: 2.0e-4
  warmup: 10
  grad_clip: 0.5
  ema: 0.9999
  log_every: 10
  ckpt_every: 100
  keep_checkpoints: 2
sample:
  method: em
  nfe: 33
  grid: uniform
  t_s: 0.002
  denoise: false
  ode_solver: heun
  atol: 1e-4
  rtol: 2e-4
  snr: 0.1
  dtype: float64
)";

}  // namespace

TEST_CASE("every key is read into its field", "[io][config]") {
  const RunConfig c = parse_config(kFull, "full.yaml");
  CHECK(c.seed == 7);
  CHECK(c.threads == 2);
  CHECK(c.sample_count == 123);
  CHECK(c.sde.name == "hold");
  CHECK(c.sde.eps == 0.05);
  CHECK(c.sde.beta == 9.5);
  CHECK(c.sde.order == 4);
  CHECK(c.sde.coupling_l == 1.5);
  CHECK((c.sde.roots == std::vector<double>{-1, -2, -3, -4}));
  CHECK((c.data.mixture.weights == std::vector<double>{0.25, 0.75}));
  CHECK((c.data.mixture.means == std::vector<std::vector<double>>{{0.1, -0.2}, {0.3, 0.4}}));
  // A single std per component is isotropic: broadcast to every coordinate.
  CHECK((c.data.mixture.stds == std::vector<std::vector<double>>{{0.05, 0.05}, {0.1, 0.2}}));
  CHECK(c.model.hidden == 64);
  CHECK(c.model.embedding == "sinusoidal");
  CHECK(c.model.mixed_score);
  CHECK((c.objective.blocks == std::vector<std::string>{"x", "v"}));
  CHECK(c.objective.t_eps == 1e-4);
  CHECK(c.train.steps == 20000);  // integral floats are accepted for integers
  CHECK(c.train.lr == 2e-4);
  CHECK(c.train.ema == 0.9999);
  CHECK(c.sample.method == "em");
  CHECK(c.sample.nfe == 33);
  CHECK(c.sample.grid == GridKind::kUniform);
  CHECK_FALSE(c.sample.denoise);
  CHECK(c.sample.ode_solver == "heun");
  CHECK(c.sample.dtype == at::kDouble);
  CHECK(c.line_of("sde.beta") == 10);
  CHECK(c.where("sde.beta") == "full.yaml:10 sde.beta");
  CHECK(c.line_of("sde.beta_min") == 0);
  CHECK(c.where("sde.beta_min") == "full.yaml sde.beta_min");
}

TEST_CASE("to_yaml round-trips a config", "[io][config]") {
  SECTION("a config with every key set") {
    const RunConfig a = parse_config(kFull, "full.yaml");
    const std::string text = to_yaml(a);
    const RunConfig b = parse_config(text, "resolved.yaml");
    CHECK(to_yaml(b) == text);
    CHECK(b.sde.roots == a.sde.roots);
    CHECK(b.data.mixture.stds == a.data.mixture.stds);
    CHECK(b.train.ema == a.train.ema);
    CHECK(b.objective.t_eps == a.objective.t_eps);
    CHECK(b.sample.dtype == a.sample.dtype);
  }
  SECTION("doubles that need 17 digits survive") {
    const RunConfig a = parse_config("train:\n  lr: 0.1\nsde:\n  T: 0.30000000000000004\n", "x.yaml");
    const RunConfig b = parse_config(to_yaml(a), "y.yaml");
    CHECK(b.sde.t_max == a.sde.t_max);
    CHECK(b.sde.t_max != 0.3);
    CHECK_THAT(to_yaml(a), Contains("lr: 0.1\n"));
  }
  SECTION("the defaults, and gmm1d's filled-in mixture") {
    const RunConfig a = parse_config("", "empty.yaml");
    CHECK(to_yaml(parse_config(to_yaml(a), "y.yaml")) == to_yaml(a));
    const RunConfig g = parse_config("data:\n  name: gmm1d\n", "g.yaml");
    CHECK((g.data.mixture.weights == std::vector<double>{0.3, 0.4, 0.3}));
    CHECK((g.data.mixture.means == std::vector<std::vector<double>>{{-0.6}, {0.0}, {0.6}}));
    CHECK((g.data.mixture.stds == std::vector<std::vector<double>>{{0.05}, {0.12}, {0.03}}));
    const RunConfig g2 = parse_config(to_yaml(g), "g2.yaml");
    CHECK(g2.data.mixture.means == g.data.mixture.means);
  }
  SECTION("every shipped config under configs/") {
    int count = 0;
    for (const auto& e : std::filesystem::directory_iterator(std::string(HOLD_SOURCE_DIR) + "/configs")) {
      if (e.path().extension() != ".yaml") continue;
      INFO(e.path().string());
      const RunConfig a = load_config(e.path().string());
      CHECK(to_yaml(parse_config(to_yaml(a), "resolved.yaml")) == to_yaml(a));
      ++count;
    }
    CHECK(count > 0);
  }
}

TEST_CASE("an unknown key is an error that suggests the nearest key and gives the line", "[io][config]") {
  CHECK(error_of("seed: 1\nsde:\n  name: hold\n  bta: 3\n") ==
        "unknown key 'sde.bta', did you mean 'sde.beta'? (test.yaml:4 sde.bta)");
  CHECK(error_of("sed: 3\n") == "unknown key 'sed', did you mean 'seed'? (test.yaml:1 sed)");
  CHECK(error_of("sdee:\n  name: vp\n") == "unknown key 'sdee', did you mean 'sde'? (test.yaml:1 sdee)");
  CHECK(error_of("sample:\n  nfe_budget: 3\n") ==
        "unknown key 'sample.nfe_budget', did you mean 'sample.nfe'? (test.yaml:2 sample.nfe_budget)");
  // Nothing close: list the section's keys instead.
  CHECK_THAT(error_of("train:\n  zzzzzzzz: 1\n"),
             Contains("unknown key 'train.zzzzzzzz', valid keys of train: steps, batch_size") &&
                 EndsWith("(test.yaml:2 train.zzzzzzzz)"));
  CHECK(error_of("sde:\n  beta: 1\n  beta: 2\n") == "duplicate key 'sde.beta', first at line 2 (test.yaml:3 sde.beta)");
  CHECK_THAT(error_of("sde: 3\n"), Contains("section 'sde' must be a mapping") && EndsWith("(test.yaml:1 sde)"));
}

TEST_CASE("a value of the wrong type names the key and its line", "[io][config]") {
  CHECK(error_of("train:\n  lr: abc\n") == "expected a number, got 'abc' (test.yaml:2 train.lr)");
  CHECK(error_of("sample:\n  nfe: 1.5\n") == "expected an integer, got '1.5' (test.yaml:2 sample.nfe)");
  CHECK(error_of("model:\n  mixed_score: maybe\n") ==
        "expected true or false, got 'maybe' (test.yaml:2 model.mixed_score)");
  CHECK(error_of("sde:\n  beta: [1, 2]\n") == "expected a number, got a sequence (test.yaml:2 sde.beta)");
  CHECK(error_of("sde:\n  beta:\n") == "expected a number, got nothing (test.yaml:2 sde.beta)");
  CHECK(error_of("sde:\n  roots: [-1, x]\n") == "expected a number, got 'x' (test.yaml:2 sde.roots)");
  CHECK(error_of("sample:\n  grid: cubic\n") ==
        "unknown grid 'cubic', expected one of: uniform, quadratic, gddim, logsnr, karras, auto (test.yaml:2 "
        "sample.grid)");
  CHECK(error_of("sample:\n  dtype: float16\n") ==
        "unknown dtype 'float16', expected one of: float32, float64 (test.yaml:2 sample.dtype)");
}

TEST_CASE("an out-of-range value names the key and its line", "[io][config]") {
  CHECK(error_of("train:\n  lr: 0\n") == "lr must be positive, got 0 (test.yaml:2 train.lr)");
  CHECK(error_of("train:\n  ema: 1\n") == "ema must be in [0, 1), got 1 (test.yaml:2 train.ema)");
  CHECK(error_of("seed: 1\ntrain:\n  batch_size: 0\n") ==
        "batch_size must be >= 1, got 0 (test.yaml:3 train.batch_size)");
  CHECK(error_of("model:\n  embedding_dim: 7\n") ==
        "embedding_dim must be even and >= 2, got 7 (test.yaml:2 model.embedding_dim)");
  CHECK(error_of("device: gpu\n") == "device must be cpu, cuda, cuda:<index> or auto, got 'gpu' (test.yaml:1 device)");
  CHECK(error_of("data:\n  noise: -0.1\n") == "noise must be >= 0, got -0.1 (test.yaml:2 data.noise)");
  // Raised by the struct validators (sde.*, sample.*), located by the config layer.
  CHECK_THAT(error_of("sde:\n  name: vp\n  eps: -1\n"), Contains("eps") && EndsWith("(test.yaml:3 sde.eps)"));
  CHECK_THAT(error_of("sde:\n  name: vp\nsample:\n  nfe: 0\n"), EndsWith("(test.yaml:4 sample.nfe)"));
  CHECK_THAT(error_of("data:\n  name: swisroll\n"),
             Contains("unknown data set 'swisroll', did you mean 'swissroll'?") && EndsWith("(test.yaml:2 data.name)"));
  CHECK_THAT(error_of("sde:\n  name: hld\n"), Contains("hld") && EndsWith("(test.yaml:2 sde.name)"));
}

TEST_CASE("impossible combinations are rejected before any work", "[io][config]") {
  CHECK(error_of("data:\n  name: swissroll\nmodel:\n  name: oracle\n") ==
        "model 'oracle' needs a gmm or gmm1d data set, got data.name 'swissroll' (test.yaml:4 model.name)");
  CHECK(error_of("data:\n  name: gmm1d\n  weights: [1]\n  means: [[0, 0]]\n  stds: [[1, 1]]\n") ==
        "data set 'gmm1d' needs a 1-D mixture, got dimension 2 (test.yaml:4 data.means)");
  CHECK(error_of("data:\n  name: swissroll\n  weights: [1]\n  means: [0]\n  stds: [1]\n") ==
        "data set 'swissroll' is 2-D, got a mixture of dimension 1 (test.yaml:4 data.means)");
  CHECK(error_of("data:\n  name: gmm\n") ==
        "data set 'gmm' needs data.weights, data.means and data.stds (test.yaml:2 data.name)");
  CHECK(error_of("data:\n  name: gmm\n  weights: [1]\n  means: [0]\n") ==
        "a mixture needs data.weights, data.means and data.stds together (test.yaml data.stds)");
  // The mixture's own validator (GaussianMixture::validate), located.
  CHECK_THAT(error_of("data:\n  name: gmm\n  weights: [0.5, 0.5]\n  means: [0]\n  stds: [1]\n"),
             Contains("(test.yaml:"));
  // Sampler / objective validators against the SDE: pc needs K = 1; hold's
  // order 3 has no block 'b5'.
  CHECK_THAT(error_of("sde:\n  name: hold\nsample:\n  method: pc\n"), Contains("(test.yaml:4 sample."));
  CHECK_THAT(error_of("sde:\n  name: hold\nobjective:\n  blocks: [x, b5]\n"), Contains("(test.yaml:4 objective."));
}

TEST_CASE("Overrides given with --set get the same checks", "[io][config]") {
  const std::string text = "sde:\n  name: hold\n  beta: 8\n";
  SECTION("scalars and flow sequences") {
    const RunConfig c = parse_config(text, "t.yaml", {"sde.beta=5.5", "sde.roots=[-1, -2, -3]", "sample.grid=uniform"});
    CHECK(c.sde.beta == 5.5);
    CHECK((c.sde.roots == std::vector<double>{-1, -2, -3}));
    CHECK(c.sample.grid == GridKind::kUniform);
    CHECK(c.where("sde.beta") == "--set sde.beta");
    CHECK(c.line_of("sde.beta") == 0);
  }
  SECTION("the last --set wins, and --set wins over an app flag") {
    const RunConfig c = parse_config(text, "t.yaml", {"seed=1", "seed=2"}, {ConfigOverride{"seed", "9", "--seed"}});
    CHECK(c.seed == 2);
    const RunConfig d = parse_config(text, "t.yaml", {}, {ConfigOverride{"seed", "9", "--seed"}});
    CHECK(d.seed == 9);
    CHECK(d.where("seed") == "--seed");
  }
  SECTION("errors name --set and the key") {
    CHECK(error_of(text, {"train.lr=-1"}) == "lr must be positive, got -1 (--set train.lr)");
    CHECK(error_of(text, {"sde.bta=1"}) == "unknown key 'sde.bta', did you mean 'sde.beta'? (--set sde.bta)");
    CHECK(error_of(text, {"train.lr=abc"}) == "expected a number, got 'abc' (--set train.lr)");
    CHECK(error_of(text, {"train.lr"}) == "--set expects key.path=value, got 'train.lr' (--set train.lr)");
    CHECK_THAT(error_of(text, {"sde.roots=[-1, -2"}), Contains("malformed value") && EndsWith("(--set sde.roots)"));
    CHECK_THAT(error_of(text, {"sde=3"}), EndsWith("(--set sde)"));
    CHECK(error_of(text, {}, {ConfigOverride{"sample.nfe", "many", "--nfe"}}) ==
          "expected an integer, got 'many' (--nfe)");
  }
}

TEST_CASE("a sampler picked on the command line is told when the file's grid is not its own", "[io][config]") {
  const std::string text = "sde:\n  name: vp\nsample:\n  method: lt\n  grid: uniform\n";
  const auto warnings_for = [&](const std::vector<ConfigOverride>& flags, const std::vector<std::string>& sets = {}) {
    return parse_config(text, "t.yaml", sets, flags).warnings;
  };
  const ConfigOverride dpmpp2m{"sample.method", "dpmpp2m", "--sampler"};
  CHECK(warnings_for({dpmpp2m}) ==
        std::vector<std::string>{
            "sampler dpmpp2m walks the config's uniform grid, not its own logsnr (--grid auto for that) (t.yaml:5 "
            "sample.grid)"});
  CHECK(warnings_for({}, {"sample.method=edm"}).size() == 1);
  // The file's own sampler, a grid given with the sampler, a sampler whose
  // own grid it is, and the adaptive ode (no grid): no warning.
  CHECK(warnings_for({ConfigOverride{"sample.method", "lt", "--sampler"}}).empty());
  CHECK(warnings_for({dpmpp2m, ConfigOverride{"sample.grid", "uniform", "--grid"}}).empty());
  CHECK(parse_config("sde:\n  name: vp\nsample:\n  grid: logsnr\n", "t.yaml", {}, {dpmpp2m}).warnings.empty());
  CHECK(warnings_for({ConfigOverride{"sample.method", "ode", "--sampler"}}).empty());
}

TEST_CASE("a missing, unreadable or malformed file names the path", "[io][config]") {
  test::TempDir dir;
  SECTION("missing") {
    const std::string path = dir.file("nope.yaml");
    try {
      load_config(path);
      FAIL("no error");
    } catch (const ConfigError& e) {
      CHECK(std::string(e.what()) == "cannot read config file: No such file or directory (" + path + ")");
    }
  }
  SECTION("a directory") { CHECK_THROWS_WITH(load_config(dir.path()), EndsWith("(" + dir.path() + ")")); }
  SECTION("malformed YAML gives yaml-cpp's message and line") {
    const std::string path = dir.file("bad.yaml");
    std::ofstream(path) << "seed: 1\nsde:\n  name: hold\n  roots: [-1, -2\n  beta: 3\n";
    try {
      load_config(path);
      FAIL("no error");
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      CHECK_THAT(msg, Contains("malformed YAML: ") && Contains("(" + path + ":"));
      // yaml-cpp reports the unterminated flow sequence where it gives up (line 5 or 6).
      CHECK_THAT(msg, EndsWith(path + ":5)") || EndsWith(path + ":6)"));
    }
  }
  SECTION("a file that is not a mapping") {
    CHECK(error_of("- 1\n- 2\n") == "a config must be a mapping of keys and sections, got a sequence (test.yaml:1)");
  }
}

TEST_CASE("base: a variant config starts from another file's keys", "[io][config]") {
  test::TempDir dir;
  std::filesystem::create_directory(dir.file("sub"));
  std::ofstream(dir.file("demo.yaml")) << "seed: 3\nsde:\n  name: hold\n  beta: 8.0\ntrain:\n  steps: 100\n";
  std::ofstream(dir.file("sub/variant.yaml")) << "base: ../demo.yaml\ntrain:\n  steps: 7\n";
  SECTION("its keys replace the base's one by one; the rest are inherited, with their origins") {
    const RunConfig c = load_config(dir.file("sub/variant.yaml"));
    CHECK(c.train.steps == 7);
    CHECK(c.seed == 3);
    CHECK(c.sde.beta == 8.0);
    CHECK(c.where("train.steps") == dir.file("sub/variant.yaml") + ":3 train.steps");
    CHECK(c.where("sde.beta") == dir.file("sub/../demo.yaml") + ":4 sde.beta");
    // --set still wins over both files.
    CHECK(load_config(dir.file("sub/variant.yaml"), {"seed=9"}).seed == 9);
  }
  SECTION("chains of bases resolve, each relative to its own file") {
    std::ofstream(dir.file("sub/third.yaml")) << "base: variant.yaml\nseed: 5\n";
    const RunConfig c = load_config(dir.file("sub/third.yaml"));
    CHECK((c.seed == 5 && c.train.steps == 7 && c.sde.beta == 8.0));
  }
  SECTION("an error in an inherited key names the base file and its line") {
    std::ofstream(dir.file("bad.yaml")) << "sde:\n  beta: -1\n";
    std::ofstream(dir.file("v.yaml")) << "base: bad.yaml\n";
    CHECK_THROWS_WITH(load_config(dir.file("v.yaml")), EndsWith("(" + dir.file("bad.yaml") + ":2 sde.beta)"));
  }
  SECTION("a missing base, a cycle, an empty base, a non-path value and a second base name the base key") {
    const std::string v = dir.file("v.yaml");
    std::ofstream(v) << "base: nope.yaml\n";
    CHECK_THROWS_WITH(load_config(v), "cannot read base config " + dir.file("nope.yaml") +
                                          ": No such file or directory (" + v + ":1 base)");
    std::ofstream(dir.file("a.yaml")) << "base: b.yaml\n";
    std::ofstream(dir.file("b.yaml")) << "seed: 1\nbase: a.yaml\n";
    CHECK_THROWS_WITH(load_config(dir.file("a.yaml")),
                      Contains("base configs form a cycle") && EndsWith("(" + dir.file("b.yaml") + ":2 base)"));
    std::ofstream(dir.file("empty.yaml")) << "# nothing\n";
    std::ofstream(v) << "base: empty.yaml\n";
    CHECK_THROWS_WITH(load_config(v), Contains("is empty") && EndsWith("(" + v + ":1 base)"));
    std::ofstream(v) << "base: [a.yaml]\n";
    CHECK_THROWS_WITH(load_config(v), "base must be the path of a config file, got a sequence (" + v + ":1 base)");
    std::ofstream(v) << "base: a.yaml\nseed: 2\nbase: b.yaml\n";
    CHECK_THROWS_WITH(load_config(v), "duplicate key 'base', first at line 1 (" + v + ":3 base)");
  }
}

TEST_CASE("config_keys lists every key once", "[io][config]") {
  const auto& keys = config_keys();
  CHECK(keys.size() == 110);
  std::set<std::string> unique(keys.begin(), keys.end());
  CHECK(unique.size() == keys.size());
  CHECK(keys.front() == "seed");
  CHECK(std::count(keys.begin(), keys.end(), "sde.T") == 1);
  CHECK(std::count(keys.begin(), keys.end(), "sde.L") == 1);
}

}  // namespace hold

namespace hold {

TEST_CASE("docs/configuration.md documents every key in its section's table", "[io][config]") {
  std::ifstream in(std::string(HOLD_SOURCE_DIR) + "/docs/configuration.md");
  REQUIRE(in);
  // Table rows "| `leaf` | ..." after the section heading ("## `sde:`" or "## Top level").
  std::map<std::string, std::set<std::string>> documented;
  std::string section = "?", line;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      const auto tick = line.find('`');
      section = tick == std::string::npos ? "" : line.substr(tick + 1, line.find(':', tick) - tick - 1);
    } else if (line.rfind("| `", 0) == 0) {
      documented[section].insert(line.substr(3, line.find('`', 3) - 3));
    }
  }
  for (const auto& key : config_keys()) {
    const auto dot = key.find('.');
    const std::string section_of = dot == std::string::npos ? "" : key.substr(0, dot);
    INFO(key);
    CHECK(documented[section_of].count(key.substr(dot == std::string::npos ? 0 : dot + 1)) == 1);
  }
}

}  // namespace hold
