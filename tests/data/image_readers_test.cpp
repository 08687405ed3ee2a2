// Image readers: CIFAR-10 binary, IDX (plain and gzip), MNIST-layout folders
// and image folders, on small generated files; malformed files must give a
// UsageError that names the file.
#include <ATen/ATen.h>
#include <stb_image_write.h>  // implementation: libstb
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "hold/core/error.h"
#include "hold/data/image_readers.h"
#include "support/idx_files.h"
#include "support/temp_dir.h"
#include "support/usage_error.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {
namespace {

using test::big_endian;
using test::idx_images;
using test::idx_labels;
using test::idx_pixel;
using test::TempDir;
using test::write_file;

using test::message_of;

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// ---------------------------------------------------------------- CIFAR-10

uint8_t cifar_pixel(int64_t record, int64_t i) { return static_cast<uint8_t>((record * 7 + i * 3) % 256); }

/// Records first..first+n-1 of a synthetic split: label = record mod 10.
std::string cifar_records(int64_t first, int64_t n) {
  std::string out;
  for (int64_t r = first; r < first + n; ++r) {
    out.push_back(static_cast<char>(r % 10));
    for (int64_t i = 0; i < 3072; ++i) out.push_back(static_cast<char>(cifar_pixel(r, i)));
  }
  return out;
}

void check_cifar(const ImageArray& a, int64_t first, int64_t n) {
  REQUIRE(a.images.scalar_type() == at::kByte);
  REQUIRE(a.images.sizes() == at::IntArrayRef({n, 3, 32, 32}));
  REQUIRE(a.images.is_contiguous());
  REQUIRE(a.labels.scalar_type() == at::kLong);
  REQUIRE(a.labels.sizes() == at::IntArrayRef({n}));
  const auto img = a.images.accessor<uint8_t, 4>();
  const auto lab = a.labels.accessor<int64_t, 1>();
  for (int64_t k = 0; k < n; ++k) {
    CHECK(lab[k] == (first + k) % 10);
    // Planes R, G, B of 32×32, row-major: byte i = c·1024 + y·32 + x.
    for (int64_t i : {0, 1, 31, 32, 1023, 1024, 2047, 2048, 3071}) {
      CHECK(img[k][i / 1024][(i % 1024) / 32][i % 32] == cifar_pixel(first + k, i));
    }
  }
}

TEST_CASE("CIFAR-10 reader decodes records from the folder or its parent", "[image_data]") {
  TempDir dir;
  const std::string batches = dir.file("cifar-10-batches-bin");
  const int64_t counts[5] = {3, 4, 5, 6, 7};
  int64_t first = 0;
  for (int k = 0; k < 5; ++k) {
    write_file(batches + "/data_batch_" + std::to_string(k + 1) + ".bin", cifar_records(first, counts[k]));
    first += counts[k];
  }
  write_file(batches + "/test_batch.bin", cifar_records(100, 11));

  check_cifar(read_cifar10(batches, "train"), 0, 25);
  check_cifar(read_cifar10(dir.path(), "train"), 0, 25);
  check_cifar(read_cifar10(dir.path(), "test"), 100, 11);
}

TEST_CASE("CIFAR-10 reader rejects missing, truncated and mislabelled files", "[image_data]") {
  TempDir dir;
  const std::string test_file = dir.file("test_batch.bin");

  SECTION("missing file") {
    write_file(dir.file("data_batch_1.bin"), cifar_records(0, 2));
    const std::string msg = message_of([&] { read_cifar10(dir.path(), "train"); });
    CHECK_THAT(msg, Catch::Contains(dir.file("data_batch_2.bin")));
    CHECK_THAT(msg, Catch::Contains("missing"));
  }
  SECTION("truncated") {
    write_file(test_file, cifar_records(0, 2).substr(0, 3073 * 2 - 100));
    const std::string msg = message_of([&] { read_cifar10(dir.path(), "test"); });
    CHECK_THAT(msg, Catch::Contains(test_file));
    CHECK_THAT(msg, Catch::Contains("truncated CIFAR-10 batch: 6,046 bytes"));
    CHECK_THAT(msg, Catch::Contains("30,730,000"));
  }
  SECTION("empty") {
    write_file(test_file, "");
    CHECK_THAT(message_of([&] { read_cifar10(dir.path(), "test"); }), Catch::Contains("0 bytes"));
  }
  SECTION("label out of range") {
    std::string bytes = cifar_records(0, 3);
    bytes[3073 * 2] = 10;
    write_file(test_file, bytes);
    const std::string msg = message_of([&] { read_cifar10(dir.path(), "test"); });
    CHECK_THAT(msg, Catch::Contains("label 10 out of range 0..9 in record 2"));
    CHECK_THAT(msg, Catch::Contains(test_file));
  }
  SECTION("unknown split") {
    CHECK_THAT(message_of([&] { read_cifar10(dir.path(), "val"); }), Catch::Contains("unknown split 'val'"));
  }
}

// ---------------------------------------------------------------- IDX

void check_idx(const ImageArray& a, int64_t n, int64_t rows, int64_t cols, bool with_labels) {
  REQUIRE(a.images.scalar_type() == at::kByte);
  REQUIRE(a.images.sizes() == at::IntArrayRef({n, 1, rows, cols}));
  REQUIRE(a.images.is_contiguous());
  const auto img = a.images.accessor<uint8_t, 4>();
  for (int64_t k = 0; k < n; ++k)
    for (int64_t y = 0; y < rows; ++y)
      for (int64_t x = 0; x < cols; ++x) REQUIRE(img[k][0][y][x] == idx_pixel(k, y, x));
  if (!with_labels) {
    CHECK_FALSE(a.labels.defined());
    return;
  }
  REQUIRE(a.labels.scalar_type() == at::kLong);
  REQUIRE(a.labels.sizes() == at::IntArrayRef({n}));
  for (int64_t k = 0; k < n; ++k) CHECK(a.labels[k].item<int64_t>() == (k * 3) % 10);
}

TEST_CASE("IDX reader reads plain and gzipped files alike", "[image_data]") {
  TempDir dir;
  write_file(dir.file("img"), idx_images(6, 5, 7));
  write_file(dir.file("lab"), idx_labels(6));
  write_gz(dir.file("img.gz"), idx_images(6, 5, 7));
  write_gz(dir.file("lab.gz"), idx_labels(6));

  check_idx(read_idx(dir.file("img"), dir.file("lab")), 6, 5, 7, true);
  check_idx(read_idx(dir.file("img.gz"), dir.file("lab.gz")), 6, 5, 7, true);
  check_idx(read_idx(dir.file("img.gz")), 6, 5, 7, false);
  // Detection is by content, not by name.
  std::filesystem::copy_file(dir.file("img.gz"), dir.file("img_gz_without_suffix"));
  check_idx(read_idx(dir.file("img_gz_without_suffix"), dir.file("lab")), 6, 5, 7, true);
}

TEST_CASE("MNIST-layout folders take the plain or the .gz file", "[image_data]") {
  TempDir dir;
  write_file(dir.file("train-images-idx3-ubyte"), idx_images(4, 28, 28));
  write_gz(dir.file("train-labels-idx1-ubyte.gz"), idx_labels(4));
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_images(3, 28, 28));
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels(3));
  // When both exist the plain file is read: this .gz is not even gzip.
  write_file(dir.file("t10k-labels-idx1-ubyte"), idx_labels(3));
  write_file(dir.file("train-images-idx3-ubyte.gz"), "not gzip");

  check_idx(read_mnist(dir.path(), "train"), 4, 28, 28, true);
  check_idx(read_fashion_mnist(dir.path(), "test"), 3, 28, 28, true);

  std::filesystem::remove(dir.file("t10k-images-idx3-ubyte.gz"));
  const std::string msg = message_of([&] { read_mnist(dir.path(), "test"); });
  CHECK_THAT(msg, Catch::Contains("t10k-images-idx3-ubyte[.gz]"));
  CHECK_THAT(msg, Catch::Contains(dir.path()));
}

TEST_CASE("IDX reader rejects malformed files and names them", "[image_data]") {
  TempDir dir;
  const std::string img = dir.file("img"), lab = dir.file("lab");
  write_file(lab, idx_labels(6));

  SECTION("missing file") {
    CHECK_THAT(message_of([&] { read_idx(dir.file("nope")); }), Catch::Contains(dir.file("nope")));
  }
  SECTION("bad magic") {
    write_file(img, idx_images(6, 5, 7, 0x12340803));
    const std::string msg = message_of([&] { read_idx(img); });
    CHECK_THAT(msg, Catch::Contains("magic 0x12340803"));
    CHECK_THAT(msg, Catch::Contains(img));
  }
  SECTION("labels file given as images") {
    const std::string msg = message_of([&] { read_idx(lab); });
    CHECK_THAT(msg, Catch::Contains("0x00000801"));
    CHECK_THAT(msg, Catch::Contains(lab));
  }
  SECTION("wrong element type") {
    write_file(img, idx_images(6, 5, 7, 0x00000D03));
    const std::string msg = message_of([&] { read_idx(img); });
    CHECK_THAT(msg, Catch::Contains("0x0D (float32)"));
    CHECK_THAT(msg, Catch::Contains(img));
  }
  SECTION("truncated data, plain and gzipped") {
    const std::string bytes = idx_images(6, 5, 7);
    write_file(img, bytes.substr(0, bytes.size() - 10));
    std::string msg = message_of([&] { read_idx(img); });
    CHECK_THAT(msg, Catch::Contains("truncated IDX images: 200 data bytes, expected 210"));
    CHECK_THAT(msg, Catch::Contains(img));
    write_gz(img + ".gz", bytes.substr(0, bytes.size() - 10));
    CHECK_THAT(message_of([&] { read_idx(img + ".gz"); }), Catch::Contains("expected 210"));
  }
  SECTION("truncated header") {
    write_file(img, idx_images(6, 5, 7).substr(0, 9));
    CHECK_THAT(message_of([&] { read_idx(img); }), Catch::Contains("truncated IDX header (" + img + ")"));
  }
  SECTION("label count differs from image count") {
    write_file(img, idx_images(5, 5, 7));
    const std::string msg = message_of([&] { read_idx(img, lab); });
    CHECK_THAT(msg, Catch::Contains("labels count 6 does not match 5 images"));
    CHECK_THAT(msg, Catch::Contains(lab));
  }
  SECTION("corrupt and cut-off gzip streams") {
    // Incompressible-ish pixels so that the damage lands in deflate data.
    write_gz(img, idx_images(40, 28, 28));
    std::string gz = read_file(img);
    std::string damaged = gz;
    for (size_t i = gz.size() / 2; i < gz.size() / 2 + 8; ++i) damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
    write_file(img, damaged);
    std::string msg = message_of([&] { read_idx(img); });
    CHECK_THAT(msg, Catch::Contains("corrupt gzip stream"));
    CHECK_THAT(msg, Catch::Contains(img));
    write_file(img, gz.substr(0, gz.size() - 4));  // only the length trailer is missing
    msg = message_of([&] { read_idx(img); });
    CHECK_THAT(msg, Catch::Contains("corrupt gzip stream"));
    CHECK_THAT(msg, Catch::Contains(img));
  }
}

TEST_CASE("Fashion-MNIST from Debian's dataset-fashion-mnist reads as 60000 + 10000 images", "[image_data]") {
  if (!std::filesystem::is_directory(kDefaultFashionMnistDir)) {
    WARN("skipped: " << kDefaultFashionMnistDir << " not installed (apt-get install dataset-fashion-mnist)");
    return;
  }
  const ImageArray train = read_fashion_mnist("", "train");
  REQUIRE(train.images.sizes() == at::IntArrayRef({60000, 1, 28, 28}));
  REQUIRE(train.labels.sizes() == at::IntArrayRef({60000}));
  CHECK(train.labels.min().item<int64_t>() == 0);
  CHECK(train.labels.max().item<int64_t>() == 9);
  // The classes are balanced: 6000 each.
  const at::Tensor counts = at::bincount(train.labels);
  CHECK(counts.min().item<int64_t>() == 6000);
  CHECK(counts.max().item<int64_t>() == 6000);
  const ImageArray test = read_fashion_mnist(kDefaultFashionMnistDir, "test");
  CHECK(test.images.sizes() == at::IntArrayRef({10000, 1, 28, 28}));
}

// ---------------------------------------------------------------- image folders

struct Rgb {
  uint8_t r, g, b;
};

/// w × h RGB image whose pixel is colour(x, y).
std::vector<uint8_t> paint(int w, int h, const std::function<Rgb(int, int)>& colour) {
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const Rgb c = colour(x, y);
      uint8_t* p = &px[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = c.r, p[1] = c.g, p[2] = c.b;
    }
  return px;
}

void write_png(const std::string& path, int w, int h, const std::vector<uint8_t>& px, int comp = 3) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  REQUIRE(stbi_write_png(path.c_str(), w, h, comp, px.data(), w * comp) != 0);
}

/// Quadrant colours of the centre square; outside it, white.
const Rgb kQuadrant[4] = {{10, 20, 30}, {40, 50, 60}, {70, 80, 90}, {100, 110, 120}};

/// A w × h image whose centred square (side min(w, h)) has four flat quadrants.
std::vector<uint8_t> quadrant_image(int w, int h) {
  const int side = std::min(w, h), x0 = (w - side) / 2, y0 = (h - side) / 2;
  return paint(w, h, [=](int x, int y) {
    if (x < x0 || x >= x0 + side || y < y0 || y >= y0 + side) return Rgb{255, 255, 255};
    return kQuadrant[((y - y0) >= side / 2) * 2 + ((x - x0) >= side / 2)];
  });
}

void check_quadrants(const at::Tensor& image, int size) {
  const auto a = image.accessor<uint8_t, 3>();  // [3, size, size]
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const Rgb q = kQuadrant[(y >= size / 2) * 2 + (x >= size / 2)];
      INFO("pixel (" << x << ", " << y << ")");
      REQUIRE(a[0][y][x] == q.r);
      REQUIRE(a[1][y][x] == q.g);
      REQUIRE(a[2][y][x] == q.b);
    }
}

TEST_CASE("image folder: centre crop then box downscale keeps flat regions exact", "[image_data]") {
  TempDir dir;
  // Wide and tall: the white margins must not leak into the 2:1 box average.
  write_png(dir.file("a_wide.png"), 60, 40, quadrant_image(60, 40));
  write_png(dir.file("b_tall.png"), 40, 60, quadrant_image(40, 60));
  write_png(dir.file("c_square.png"), 20, 20, quadrant_image(20, 20));  // no resize
  const ImageArray a = read_image_folder(dir.path(), 20, 3);
  REQUIRE(a.images.sizes() == at::IntArrayRef({3, 3, 20, 20}));
  REQUIRE(a.images.scalar_type() == at::kByte);
  CHECK_FALSE(a.labels.defined());
  for (int k = 0; k < 3; ++k) {
    INFO("image " << k);
    check_quadrants(a.images[k], 20);
  }
}

TEST_CASE("image folder: bilinear upscale, channel conversion, sorted recursive listing", "[image_data]") {
  TempDir dir;
  SECTION("2 → 4 is bilinear with clamped edges") {
    // One row pair: left column 0, right column 200.
    write_png(dir.file("x.png"), 2, 2, paint(2, 2, [](int x, int) { return x ? Rgb{200, 200, 200} : Rgb{0, 0, 0}; }));
    const at::Tensor img = read_image_folder(dir.path(), 4, 1).images;
    REQUIRE(img.sizes() == at::IntArrayRef({1, 1, 4, 4}));
    // Output centres at input x = 0.25, 0.75, 1.25, 1.75 (pixel centres 0.5, 1.5).
    const std::vector<int64_t> expected{0, 50, 150, 200};
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x) CHECK(img[0][0][y][x].item<int64_t>() == expected[x]);
  }
  SECTION("grey PNG read as RGB and RGB grey read as one channel") {
    write_png(dir.file("grey.png"), 3, 3, std::vector<uint8_t>(9, 77), /*comp=*/1);
    CHECK((read_image_folder(dir.path(), 3, 3).images == 77).all().item<bool>());
    std::filesystem::remove(dir.file("grey.png"));
    write_png(dir.file("rgb.png"), 3, 3, paint(3, 3, [](int, int) { return Rgb{150, 150, 150}; }));
    const at::Tensor one = read_image_folder(dir.path(), 3, 1).images;
    REQUIRE(one.sizes() == at::IntArrayRef({1, 1, 3, 3}));
    CHECK((one == 150).all().item<bool>());
  }
  SECTION("recursive, case-insensitive, sorted by path; JPEG within its loss") {
    auto flat = [](uint8_t v) { return paint(8, 8, [v](int, int) { return Rgb{v, v, v}; }); };
    write_png(dir.file("b.png"), 8, 8, flat(20));
    write_png(dir.file("a.PNG"), 8, 8, flat(10));
    write_png(dir.file("sub/c.png"), 8, 8, flat(40));
    REQUIRE(stbi_write_jpg(dir.file("b2.JPEG").c_str(), 8, 8, 3, flat(30).data(), /*quality=*/95) != 0);
    write_file(dir.file("notes.txt"), "ignored");
    const at::Tensor img = read_image_folder(dir.path(), 4, 3).images;
    REQUIRE(img.size(0) == 4);
    const std::vector<int64_t> expected{10, 20, 30, 40};  // a.PNG, b.png, b2.JPEG, sub/c.png
    for (int k = 0; k < 4; ++k) {
      const at::Tensor v = img[k].to(at::kLong);
      CHECK(v.min().item<int64_t>() >= expected[k] - 2);
      CHECK(v.max().item<int64_t>() <= expected[k] + 2);
    }
  }
}

TEST_CASE("image folder errors name the folder or the file", "[image_data]") {
  TempDir dir;
  SECTION("missing folder") {
    CHECK_THAT(message_of([&] { read_image_folder(dir.file("none"), 8, 3); }), Catch::Contains(dir.file("none")));
  }
  SECTION("no images") {
    write_file(dir.file("readme.txt"), "hello");
    const std::string msg = message_of([&] { read_image_folder(dir.path(), 8, 3); });
    CHECK_THAT(msg, Catch::Contains("no .png/.jpg/.jpeg images"));
    CHECK_THAT(msg, Catch::Contains(dir.path()));
  }
  SECTION("a text file named .png") {
    write_png(dir.file("a.png"), 4, 4, paint(4, 4, [](int, int) { return Rgb{1, 2, 3}; }));
    write_file(dir.file("fake.png"), "this is not a picture");
    const std::string msg = message_of([&] { read_image_folder(dir.path(), 8, 3); });
    CHECK_THAT(msg, Catch::Contains("cannot decode image: "));
    CHECK_THAT(msg, Catch::Contains(dir.file("fake.png")));
  }
  SECTION("bad channels or size") {
    CHECK_THAT(message_of([&] { read_image_folder(dir.path(), 8, 2); }), Catch::Contains("channels must be 1 or 3"));
    CHECK_THAT(message_of([&] { read_image_folder(dir.path(), 0, 3); }), Catch::Contains("size must be"));
  }
}

}  // namespace
}  // namespace hold
