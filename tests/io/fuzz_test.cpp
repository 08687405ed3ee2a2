// Seeded random-mutation fuzzing of every reader of user files (issue 6): a
// config, IDX images (plain and gzipped), an npz, a PNG folder and a
// checkpoint, each corrupted many ways (bit flips, byte changes, deletions,
// insertions, truncation). Every outcome must be a clean read or a
// UsageError (ConfigError for configs) — never another exception, an abort
// or a crash — and a checkpoint that still loads must hold the original
// weights. Bounded: a few hundred cases, a few seconds.
#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>

#include "hold/core/error.h"
#include "hold/data/image_readers.h"
#include "hold/io/config.h"
#include "hold/io/image_grid.h"
#include "hold/io/npz.h"
#include "hold/train/checkpoint.h"
#include "hold/train/trainer.h"
#include "support/file_bytes.h"
#include "support/idx_files.h"
#include "support/temp_dir.h"

#include <catch2/catch.hpp>

namespace hold {
namespace {

/// One random corruption of `bytes`.
std::string mutate(std::string bytes, std::mt19937& rng) {
  if (bytes.empty()) return bytes;
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const size_t at = pick(bytes.size());
  switch (pick(5)) {
    case 0: bytes[at] = static_cast<char>(bytes[at] ^ (1 << pick(8))); break;  // bit flip
    case 1: bytes[at] = static_cast<char>(pick(256)); break;                   // byte change
    case 2: bytes.erase(at, 1 + pick(16)); break;                              // deletion
    case 3: bytes.insert(at, std::string(1 + pick(8), static_cast<char>(pick(256)))); break;
    default: bytes.resize(at); break;  // truncation
  }
  return bytes;
}

enum class Outcome { kRead, kUsageError };

/// Runs `read` on `cases` corruptions of `original` written to `path`;
/// anything but a clean read or a UsageError fails the test.
void fuzz(const std::string& original, const std::string& path, int cases, uint32_t seed,
          const std::function<void()>& read) {
  std::mt19937 rng(seed);
  int errors = 0;
  for (int i = 0; i < cases; ++i) {
    std::string bytes = mutate(original, rng);
    if (i % 4 == 3) bytes = mutate(bytes, rng);  // sometimes two at once
    test::write_file(path, bytes);
    try {
      read();
    } catch (const UsageError&) {
      ++errors;
    } catch (const std::exception& e) {
      FAIL("case " << i << ": " << typeid(e).name() << ": " << e.what());
    }
  }
  CHECK(errors > 0);  // the corruptions were noticed at least sometimes
}

}  // namespace

TEST_CASE("fuzz: corrupted configs give ConfigErrors", "[io][fuzz]") {
  test::TempDir dir;
  const std::string original = test::file_bytes(std::string(HOLD_SOURCE_DIR) + "/configs/fmnist_hold.yaml");
  REQUIRE(!original.empty());
  fuzz(original, dir.file("c.yaml"), 300, 1, [&] {
    try {
      load_config(dir.file("c.yaml"));
    } catch (const UsageError& e) {
      // Config mistakes are ConfigErrors that name the file.
      CHECK(dynamic_cast<const ConfigError*>(&e) != nullptr);
      CHECK(std::string(e.what()).find(dir.file("c.yaml")) != std::string::npos);
      throw;
    }
  });
}

TEST_CASE("fuzz: corrupted IDX files, plain and gzipped", "[io][fuzz]") {
  test::TempDir dir;
  test::write_mnist_folder(dir.file("plain"), 6, 8);
  const std::string images = test::file_bytes(dir.file("plain/train-images-idx3-ubyte"));
  fuzz(images, dir.file("x-idx3-ubyte"), 200, 2, [&] { read_idx(dir.file("x-idx3-ubyte")); });
  const std::string labels = test::file_bytes(dir.file("plain/train-labels-idx1-ubyte"));
  fuzz(labels, dir.file("y-idx1-ubyte"), 100, 3,
       [&] { read_idx(dir.file("plain/train-images-idx3-ubyte"), dir.file("y-idx1-ubyte")); });
  // gzip: compress once with the system's gzip, then corrupt the stream.
  REQUIRE(std::system(("gzip -kc " + dir.file("plain/train-images-idx3-ubyte") + " > " + dir.file("z.gz")).c_str()) ==
          0);
  fuzz(test::file_bytes(dir.file("z.gz")), dir.file("x-idx3-ubyte.gz"), 200, 4,
       [&] { read_idx(dir.file("x-idx3-ubyte.gz")); });
}

TEST_CASE("fuzz: corrupted npz files", "[io][fuzz]") {
  test::TempDir dir;
  write_npz(dir.file("ok.npz"), {{"mu", at::arange(5, at::kDouble)}, {"arr_0", at::zeros({2, 4, 4, 3}, at::kByte)}});
  fuzz(test::file_bytes(dir.file("ok.npz")), dir.file("x.npz"), 300, 5, [&] { read_npz(dir.file("x.npz")); });
  // One array at a time (the CRC is checked at the entry's end), and deflated entries.
  fuzz(test::file_bytes(dir.file("ok.npz")), dir.file("x.npz"), 200, 8,
       [&] { read_npz_array(dir.file("x.npz"), "arr_0"); });
  fuzz(test::file_bytes(std::string(HOLD_SOURCE_DIR) + "/tests/io/data/compressed.npz"), dir.file("z.npz"), 300, 9,
       [&] { read_npz(dir.file("z.npz")); });
}

TEST_CASE("fuzz: corrupted PNGs in an image folder", "[io][fuzz]") {
  test::TempDir dir;
  std::filesystem::create_directories(dir.file("imgs"));
  write_image_grid_png(dir.file("ok.png"), at::rand({1, 3, 8, 8}), 1, /*centered=*/false, /*padding=*/0);
  fuzz(test::file_bytes(dir.file("ok.png")), dir.file("imgs/a.png"), 200, 6,
       [&] { read_image_folder(dir.file("imgs"), 8, 3); });
}

TEST_CASE("fuzz: corrupted checkpoints never load wrong weights", "[io][fuzz]") {
  test::TempDir dir;
  RunConfig config = parse_config(
      "sde: {name: hold}\ndata: {name: gmm1d}\nmodel: {name: mlp, hidden: 8, layers: 2}\n"
      "train: {steps: 2, batch_size: 8, ckpt_every: 2}\n",
      "fuzz.yaml");
  TrainOptions options;
  options.workdir = dir.file("run");
  train(config, options);
  const std::string path = dir.file("run/checkpoints/latest.pt");
  const LoadedCheckpoint original = load_checkpoint(path);
  fuzz(test::file_bytes(path), dir.file("x.pt"), 300, 7, [&] {
    const LoadedCheckpoint c = load_checkpoint(dir.file("x.pt"));
    CHECK(c.step == original.step);
    for (const auto& [name, value] : original.model) CHECK(at::equal(value, c.model.at(name)));
    for (const auto& [name, value] : original.ema) CHECK(at::equal(value, c.ema.at(name)));
  });
}

}  // namespace hold
