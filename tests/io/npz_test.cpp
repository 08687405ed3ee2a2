// .npz files: what we write reads back exactly, has NumPy's byte layout, and
// the reader also takes NumPy-style compressed / Fortran-order / zip64 files.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <zlib.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "hold/core/error.h"
#include "hold/io/npz.h"
#include "support/file_bytes.h"
#include "support/temp_dir.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {
namespace {

using test::file_bytes;

uint32_t le16(const std::string& s, size_t at) {
  return static_cast<uint8_t>(s[at]) | (static_cast<uint8_t>(s[at + 1]) << 8);
}
uint32_t le32(const std::string& s, size_t at) { return le16(s, at) | (le16(s, at + 2) << 16); }

}  // namespace

TEST_CASE("npz arrays read back with identical dtype, shape and bytes", "[io][npz]") {
  test::TempDir dir;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const at::Tensor x = at::randn({5, 2}, gen, at::kFloat);
  const at::Tensor images = at::randint(256, {2, 4, 4, 3}, gen, at::TensorOptions().dtype(at::kByte));
  const at::Tensor d = at::randn({7}, gen, at::kDouble);
  const at::Tensor scalar = at::scalar_tensor(42, at::kLong);
  const at::Tensor flags = at::tensor(std::vector<int64_t>{1, 0, 1}).to(at::kBool);
  const at::Tensor strided = at::arange(12, at::kInt).view({3, 4}).t();  // non-contiguous: written in C order
  const std::string path = dir.file("a.npz");
  write_npz(path, {{"x", x}, {"images", images}, {"d", d}, {"s", scalar}, {"flags", flags}, {"t", strided}});
  const auto arrays = read_npz(path);
  REQUIRE(arrays.size() == 6);
  for (const auto& [name, expected] : std::map<std::string, at::Tensor>{
           {"x", x}, {"images", images}, {"d", d}, {"s", scalar}, {"flags", flags}, {"t", strided}}) {
    INFO(name);
    const at::Tensor& got = arrays.at(name);
    CHECK(got.scalar_type() == expected.scalar_type());
    CHECK(got.sizes() == expected.sizes());
    CHECK(at::equal(got, expected));  // bitwise for floats: no conversion on the way
  }
  // Equal arrays give byte-identical files (fixed zip timestamps).
  write_npz(dir.file("b.npz"),
            {{"x", x}, {"images", images}, {"d", d}, {"s", scalar}, {"flags", flags}, {"t", strided}});
  CHECK(file_bytes(path) == file_bytes(dir.file("b.npz")));
}

TEST_CASE("npz byte layout is a stored zip of NPY 1.0 arrays", "[io][npz]") {
  test::TempDir dir;
  const at::Tensor x = at::arange(6, at::kFloat).view({3, 2});
  const std::string path = dir.file("x.npz");
  write_npz(path, {{"x", x}});
  const std::string f = file_bytes(path);

  // Local file header: signature, version 2.0, no flags, method 0 (stored).
  REQUIRE(f.size() > 64);
  CHECK(f.substr(0, 4) == "PK\x03\x04");
  CHECK(le16(f, 8) == 0);
  const uint32_t crc = le32(f, 14), csize = le32(f, 18), usize = le32(f, 22);
  CHECK(csize == usize);
  REQUIRE(le16(f, 26) == 5);
  CHECK(le16(f, 28) == 0);
  CHECK(f.substr(30, 5) == "x.npy");

  // The .npy member: magic, version 1.0, header length, padded dict, data.
  const std::string npy = f.substr(35, usize);
  CHECK(npy.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  const uint32_t header_len = le16(npy, 8);
  CHECK((10 + header_len) % 64 == 0);
  const std::string header = npy.substr(10, header_len);
  CHECK(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", 0) == 0);
  CHECK(header.back() == '\n');
  CHECK(npy.size() == 10 + header_len + 6 * 4);
  CHECK(std::memcmp(npy.data() + 10 + header_len, x.data_ptr<float>(), 24) == 0);
  CHECK(crc == crc32(0, reinterpret_cast<const Bytef*>(npy.data()), npy.size()));

  // Central directory and end record: one entry, pointing at offset 0.
  const size_t end = f.size() - 22;
  CHECK(le32(f, end) == 0x06054b50);
  CHECK(le16(f, end + 10) == 1);
  const uint32_t cd = le32(f, end + 16);
  CHECK(cd == 35 + usize);
  CHECK(le32(f, cd) == 0x02014b50);
  CHECK(le32(f, cd + 42) == 0);

  CHECK(npy_header_dict(at::kByte, {2}) == "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }");
  CHECK(npy_header_dict(at::kDouble, {}) == "{'descr': '<f8', 'fortran_order': False, 'shape': (), }");
}

TEST_CASE("read_npz reads a deflated zip64 npz with a Fortran-order array", "[io][npz]") {
  // tests/io/data/compressed.npz: written by Python's zipfile (ZIP_DEFLATED,
  // force_zip64 as np.savez does) with a = [[0,1,2],[3,4,5]] float64 in Fortran
  // order and b = [-1, 7, 100000, 2^31-1] int32.
  const auto arrays = read_npz(std::string(HOLD_SOURCE_DIR) + "/tests/io/data/compressed.npz");
  REQUIRE(arrays.size() == 2);
  CHECK(at::equal(arrays.at("a"), at::arange(6, at::kDouble).view({2, 3})));
  CHECK(at::equal(arrays.at("b"), at::tensor(std::vector<int32_t>{-1, 7, 100000, 2147483647})));
}

TEST_CASE("npz errors name the path", "[io][npz]") {
  test::TempDir dir;
  const std::string bad = dir.file("bad.npz");
  std::ofstream(bad) << "not a zip file at all, just text";
  CHECK_THROWS_WITH(read_npz(bad), Catch::Matchers::EndsWith("(" + bad + ")"));
  CHECK_THROWS_AS(read_npz(dir.file("missing.npz")), UsageError);
  CHECK_THROWS_WITH(write_npz(dir.file("c.npz"), {{"z", at::zeros({2}, at::kComplexFloat)}}),
                    Catch::Matchers::Contains("cannot be written to npz"));
  CHECK(dir.entries() == std::vector<std::string>{"bad.npz"});  // the failed write left nothing
}

}  // namespace hold
