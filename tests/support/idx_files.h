#pragma once
// Small IDX (MNIST-format) files for tests: deterministic pixel patterns, so
// that readers and training runs can be checked on data the test wrote.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace hold::test {

inline std::string big_endian(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

/// Pixel (y, x) of image k.
inline uint8_t idx_pixel(int64_t k, int64_t y, int64_t x) {
  return static_cast<uint8_t>((k * 31 + y * 5 + x * 11) % 256);
}

/// n images of rows × cols.
inline std::string idx_images(uint32_t n, uint32_t rows, uint32_t cols, uint32_t magic = 0x00000803) {
  std::string out = big_endian(magic) + big_endian(n) + big_endian(rows) + big_endian(cols);
  for (uint32_t k = 0; k < n; ++k)
    for (uint32_t y = 0; y < rows; ++y)
      for (uint32_t x = 0; x < cols; ++x) out.push_back(static_cast<char>(idx_pixel(k, y, x)));
  return out;
}

/// n labels (3k mod 10).
inline std::string idx_labels(uint32_t n) {
  std::string out = big_endian(0x00000801) + big_endian(n);
  for (uint32_t k = 0; k < n; ++k) out.push_back(static_cast<char>((k * 3) % 10));
  return out;
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

/// An MNIST-layout folder (train-images-idx3-ubyte, train-labels-idx1-ubyte)
/// of n images of side × side.
inline void write_mnist_folder(const std::string& dir, uint32_t n, uint32_t side) {
  write_file(dir + "/train-images-idx3-ubyte", idx_images(n, side, side));
  write_file(dir + "/train-labels-idx1-ubyte", idx_labels(n));
}

}  // namespace hold::test
