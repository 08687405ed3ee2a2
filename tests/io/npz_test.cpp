// .npz files: what we write reads back exactly, has NumPy's byte layout, and
// the reader also takes NumPy-style compressed / Fortran-order / zip64 files,
// whole or one array at a time. The [.slow] case writes a 4.3 GB array.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <signal.h>
#include <sys/resource.h>
#include <zip.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
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

/// n bytes of a file from `offset` (negative: from the end), without reading the rest.
std::string file_slice(const std::string& path, int64_t offset, size_t n) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset, offset < 0 ? std::ios::end : std::ios::beg);
  std::string s(n, '\0');
  in.read(s.data(), static_cast<std::streamsize>(n));
  s.resize(static_cast<size_t>(in.gcount()));
  return s;
}

/// An npz built with libzip itself, each entry compressed with `method`
/// (ZIP_CM_DEFLATE: what np.savez_compressed writes).
void write_zip(const std::string& path, const std::vector<std::pair<std::string, std::string>>& entries,
               int32_t method) {
  int code = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  REQUIRE(za != nullptr);
  for (const auto& [name, bytes] : entries) {
    zip_source_t* source = zip_source_buffer(za, bytes.data(), bytes.size(), 0);
    const zip_int64_t index = zip_file_add(za, name.c_str(), source, 0);
    REQUIRE(index >= 0);
    REQUIRE(zip_set_file_compression(za, static_cast<zip_uint64_t>(index), method, 0) == 0);
  }
  REQUIRE(zip_close(za) == 0);
}

/// The .npy bytes of `t` with a version 2.0 or 3.0 header (32-bit length).
std::string npy_v2(const at::Tensor& t, int major) {
  std::string dict = npy_header_dict(t.scalar_type(), t.sizes());
  dict.append((64 - (12 + dict.size() + 1) % 64) % 64, ' ');
  dict.push_back('\n');
  std::string h("\x93NUMPY", 6);
  h.push_back(static_cast<char>(major));
  h.push_back('\0');
  for (int i = 0; i < 4; ++i) h.push_back(static_cast<char>((dict.size() >> (8 * i)) & 0xff));
  return h + dict + std::string(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
}

/// byte i = (i * 7) % 251: no period of a power of two, so a misplaced block shows.
uint8_t pattern_at(uint64_t i) { return static_cast<uint8_t>((i * 7) % 251); }

/// One period of the pattern, repeated 4096 times (a multiple of 251 bytes).
std::string pattern_block() {
  std::string block(251 * 4096, '\0');
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(pattern_at(i));
  return block;
}

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

namespace hold {

TEST_CASE("NpzReader reads single arrays equal to read_npz's", "[io][npz]") {
  test::TempDir dir;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const at::Tensor x = at::randn({4, 3}, gen, at::kFloat);
  const at::Tensor images = at::randint(256, {2, 3, 3, 1}, gen, at::TensorOptions().dtype(at::kByte));
  const at::Tensor empty = at::zeros({0, 5}, at::kLong);
  const std::string path = dir.file("a.npz");
  write_npz(path, {{"x", x}, {"images", images}, {"empty", empty}});
  const auto all = read_npz(path);
  const NpzReader npz(path);
  CHECK(npz.path() == path);
  CHECK(npz.names() == std::vector<std::string>{"x", "images", "empty"});  // archive order
  CHECK(npz.contains("images"));
  CHECK_FALSE(npz.contains("images.npy"));
  for (const auto& name : npz.names()) {
    INFO(name);
    const NpyInfo info = npz.info(name);
    CHECK(info.dtype == all.at(name).scalar_type());
    CHECK(info.shape == all.at(name).sizes().vec());
    CHECK_FALSE(info.fortran_order);
    const at::Tensor one = npz.read(name);
    CHECK(one.sizes() == all.at(name).sizes());
    CHECK(at::equal(one, all.at(name)));
  }
  CHECK(at::equal(read_npz_array(path, "x"), x));
  CHECK(at::equal(npz.read("x"), npz.read("x")));  // an entry can be read again
  CHECK_THROWS_WITH(npz.read("y"),
                    Catch::Matchers::Contains("no array 'y'") && Catch::Matchers::EndsWith("(" + path + ")"));
  CHECK_THROWS_AS(read_npz_array(path, "y"), UsageError);
}

TEST_CASE("npz reader takes deflated entries and NPY 2.0/3.0 headers", "[io][npz]") {
  test::TempDir dir;
  const at::Tensor x = at::arange(1000, at::kFloat).remainder(7).view({10, 100});  // compresses well
  const at::Tensor b = at::tensor(std::vector<int16_t>{-3, 0, 32767});
  const at::Tensor f = at::arange(6, at::kDouble);
  const std::string path = dir.file("c.npz");
  write_zip(path, {{"x.npy", npy_bytes(x)}, {"b.npy", npy_v2(b, 2)}, {"f.npy", npy_v2(f, 3)}}, ZIP_CM_DEFLATE);
  REQUIRE(le16(file_bytes(path), 8) == 8);  // the first entry really is deflated
  const auto all = read_npz(path);
  REQUIRE(all.size() == 3);
  CHECK(at::equal(all.at("x"), x));
  CHECK(at::equal(all.at("b"), b));
  CHECK(at::equal(all.at("f"), f));
  CHECK(at::equal(read_npz_array(path, "x"), x));
  CHECK(NpzReader(path).info("b").shape == std::vector<int64_t>{3});
}

TEST_CASE("npz reader checks the CRC of a lazily read array", "[io][npz]") {
  test::TempDir dir;
  const std::string path = dir.file("x.npz");
  write_npz(path, {{"x", at::arange(16, at::kInt)}});
  std::string bytes = file_bytes(path);
  bytes[30 + 5 + 64 + 8] ^= 0x10;  // one data byte of the stored entry
  std::ofstream(path, std::ios::binary) << bytes;
  CHECK_THROWS_WITH(read_npz_array(path, "x"),
                    Catch::Matchers::Contains("CRC") && Catch::Matchers::EndsWith("(" + path + ":x.npy)"));
  CHECK_NOTHROW(NpzReader(path).info("x"));  // the header alone is intact
}

TEST_CASE("npz writer: empty archives, repeated names, failed writes", "[io][npz]") {
  test::TempDir dir;
  write_npz(dir.file("none.npz"), {});
  CHECK(read_npz(dir.file("none.npz")).empty());
  CHECK_THROWS_WITH(write_npz(dir.file("twice.npz"), {{"a", at::zeros({1})}, {"a", at::ones({1})}}),
                    Catch::Matchers::Contains("repeated npz array name 'a'"));
  // A write that fails half-way (the file size limit: EFBIG) leaves the old
  // file as it was and no temporary behind.
  const std::string path = dir.file("old.npz");
  write_npz(path, {{"old", at::zeros({3})}});
  const std::string before = file_bytes(path);
  ::signal(SIGXFSZ, SIG_IGN);
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  rlimit small = saved;
  small.rlim_cur = 1 << 16;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  CHECK_THROWS_WITH(write_npz(path, {{"big", at::zeros({1 << 20}, at::kFloat)}}),
                    Catch::Matchers::EndsWith("(" + path + ")"));
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &saved) == 0);
  CHECK(file_bytes(path) == before);
  CHECK(dir.entries() == std::vector<std::string>{"none.npz", "old.npz"});
}

TEST_CASE("npz over 4 GiB: zip64 records, read back lazily", "[io][npz][.slow]") {
  test::TempDir dir;
  const std::string path = dir.file("big.npz");
  const int64_t n = 4300000000;
  const std::string block = pattern_block();
  {
    at::Tensor big = at::empty({n}, at::kByte);
    auto* p = big.data_ptr<uint8_t>();
    for (int64_t at = 0; at < n; at += static_cast<int64_t>(block.size())) {
      std::memcpy(p + at, block.data(), std::min<size_t>(block.size(), static_cast<size_t>(n - at)));
    }
    write_npz(path, {{"big", big}});
  }  // freed: the read below is the only copy in memory
  CHECK(std::filesystem::file_size(path) > (uint64_t{1} << 32));
  // Local header: 32-bit sizes 0xFFFFFFFF and a zip64 extra field (id 1) with the real ones.
  const std::string head = file_slice(path, 0, 30 + 7 + 20);
  CHECK(le32(head, 18) == 0xffffffffu);
  CHECK(le32(head, 22) == 0xffffffffu);
  CHECK(le16(head, 28) == 20);
  CHECK(le16(head, 37) == 1);
  // End: zip64 end record, its locator, then the plain end record pointing past 4 GiB.
  const std::string tail = file_slice(path, -(56 + 20 + 22), 56 + 20 + 22);
  CHECK(le32(tail, 0) == 0x06064b50);
  CHECK(le32(tail, 56) == 0x07064b50);
  CHECK(le32(tail, 76) == 0x06054b50);
  CHECK(le32(tail, 76 + 16) == 0xffffffffu);

  const NpzReader npz(path);
  CHECK(npz.info("big").shape == std::vector<int64_t>{n});
  const at::Tensor got = npz.read("big");  // also checks the CRC-32 at the end
  REQUIRE(got.scalar_type() == at::kByte);
  REQUIRE(got.numel() == n);
  const auto* q = got.data_ptr<uint8_t>();
  for (const int64_t i : {int64_t{0}, int64_t{1}, int64_t{250}, int64_t{251}, (int64_t{1} << 32) - 1, int64_t{1} << 32,
                          (int64_t{1} << 32) + 1, n - 2, n - 1}) {
    INFO(i);
    CHECK(q[i] == pattern_at(static_cast<uint64_t>(i)));
  }
  int64_t mismatched_blocks = 0;
  for (int64_t at = 0; at < n; at += static_cast<int64_t>(block.size())) {
    const size_t len = std::min<size_t>(block.size(), static_cast<size_t>(n - at));
    mismatched_blocks += std::memcmp(q + at, block.data(), len) != 0;
  }
  CHECK(mismatched_blocks == 0);
}

}  // namespace hold
