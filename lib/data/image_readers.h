#pragma once
// Readers for image data sets on disk. Each returns the whole split in memory
// as uint8 pixels (the loader centres and pads per batch, so a 50000-image
// CIFAR-10 split costs 150 MB, not 600 MB of floats).
//
// Every reader throws UsageError with a one-line "<what> (<path>)" message for
// a missing, truncated or malformed file.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hold {

/// A split of an image data set.
struct ImageArray {
  at::Tensor images;  ///< uint8 [N, C, H, W], contiguous, CPU
  at::Tensor labels;  ///< int64 [N], or undefined when the source has none
};

/// Where Debian's dataset-fashion-mnist package installs Fashion-MNIST (*.gz).
inline constexpr char kDefaultFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";

/// CIFAR-10, binary version: split "train" reads data_batch_1..5.bin, "test"
/// reads test_batch.bin. `dir` is the cifar-10-batches-bin folder or its parent.
/// A record is 1 label byte (0..9) + 3072 pixel bytes (R, G, B planes, each
/// 32×32 row-major). The official files hold 10000 records each; any positive
/// whole number of records is accepted (small test fixtures).
/// → images [N, 3, 32, 32], labels [N].
ImageArray read_cifar10(const std::string& dir, const std::string& split);

/// IDX files (MNIST family), plain or gzip-compressed (detected by content):
/// images magic 0x00000803 (uint8 [N, rows, cols]) → images [N, 1, rows, cols];
/// labels magic 0x00000801 (uint8 [N]) → labels [N]. `labels_path` may be empty.
/// Dimensions are big-endian uint32; bytes after the declared data are ignored.
ImageArray read_idx(const std::string& images_path, const std::string& labels_path = "");

/// MNIST-layout folder: {train,t10k}-{images-idx3,labels-idx1}-ubyte, each
/// either plain or with .gz (the plain file wins when both exist).
/// split: "train" | "test". → images [N, 1, 28, 28], labels [N].
ImageArray read_mnist(const std::string& dir, const std::string& split);

/// read_mnist for Fashion-MNIST; an empty `dir` means kDefaultFashionMnistDir.
ImageArray read_fashion_mnist(const std::string& dir, const std::string& split);
/// {1, rows, cols} of an MNIST-layout folder's images, from the IDX header
/// alone (dir "" → the Fashion-MNIST default). UsageError if unreadable.
std::vector<int64_t> read_mnist_shape(const std::string& dir, const std::string& split);

/// Every *.png / *.jpg / *.jpeg (any case) under `dir`, recursively, sorted by
/// path. Each is decoded with `channels` channels (1: stb's luminance, 3: RGB;
/// alpha dropped), centre-cropped to a square and resized to size × size: a
/// box (area) filter when shrinking, bilinear when enlarging, edges clamped.
/// → images [N, channels, size, size], labels undefined.
ImageArray read_image_folder(const std::string& dir, int64_t size, int64_t channels);

/// One .png / .jpg file as it is (no crop, no resize), decoded with `channels`
/// channels (1: stb's luminance, 3: RGB; alpha dropped) → uint8 [channels, H, W].
at::Tensor read_image_file(const std::string& path, int64_t channels);

}  // namespace hold
