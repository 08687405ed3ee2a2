#include "hold/data/image_readers.h"

#include <ATen/ATen.h>
#include <stb_image.h>         // implementation: libstb (linked by lib/CMakeLists.txt)
#include <stb_image_resize.h>  // likewise
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "hold/core/error.h"

namespace hold {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kCifarSide = 32;
constexpr int64_t kCifarPixels = 3 * kCifarSide * kCifarSide;
constexpr int64_t kCifarRecord = 1 + kCifarPixels;
constexpr int64_t kCifarRecordsPerFile = 10000;
constexpr int kCifarClasses = 10;

/// 30730000 -> "30,730,000": byte counts users can compare at a glance.
std::string with_commas(uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

void check_split(const std::string& split, const std::string& where) {
  if (split != "train" && split != "test") {
    throw UsageError("unknown split '" + split + "', expected train or test (" + where + ")");
  }
}

bool is_file(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

/// The whole file; `what` names it in the error ("image", "CIFAR-10 batch").
std::string read_bytes(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot open " + what + ": " + std::strerror(errno) + " (" + path + ")");
  in.seekg(0, std::ios::end);
  std::string bytes(static_cast<size_t>(in.tellg()), '\0');
  in.seekg(0, std::ios::beg);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    throw UsageError("cannot read " + what + " (" + path + ")");
  }
  return bytes;
}

// ---------------------------------------------------------------- CIFAR-10

ImageArray read_cifar_file(const std::string& path) {
  if (!is_file(path)) throw UsageError("missing CIFAR-10 batch file (" + path + ")");
  const std::string bytes = read_bytes(path, "CIFAR-10 batch");
  const auto size = static_cast<int64_t>(bytes.size());
  if (size == 0 || size % kCifarRecord != 0) {
    throw UsageError("truncated CIFAR-10 batch: " + with_commas(size) + " bytes, not a whole number of " +
                     with_commas(kCifarRecord) + "-byte records (expected " +
                     with_commas(kCifarRecord * kCifarRecordsPerFile) + " for 10,000 records) (" + path + ")");
  }
  const int64_t n = size / kCifarRecord;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (int64_t k = 0; k < n; ++k) {
    if (p[k * kCifarRecord] >= kCifarClasses) {
      throw UsageError("CIFAR-10 label " + std::to_string(p[k * kCifarRecord]) + " out of range 0..9 in record " +
                       std::to_string(k) + " (" + path + ")");
    }
  }
  const at::Tensor raw = at::from_blob(const_cast<char*>(bytes.data()), {n, kCifarRecord}, at::kByte);
  ImageArray out;
  out.labels = raw.select(1, 0).to(at::kLong);  // copies
  out.images = raw.slice(1, 1).reshape({n, 3, kCifarSide, kCifarSide}).contiguous();
  return out;
}

// ---------------------------------------------------------------- IDX

/// gzread reads plain files too (transparent mode), so one path serves both.
class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path) {
    if (!is_file(path)) throw UsageError("missing IDX file (" + path + ")");
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) throw UsageError(std::string("cannot open IDX file: ") + std::strerror(errno) + " (" + path + ")");
    gzbuffer(file_, 1 << 17);
  }
  ~GzFile() {
    if (file_) gzclose(file_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  /// Reads up to n bytes; fewer only at the end of the data.
  int64_t read(void* out, int64_t n) {
    auto* p = static_cast<char*>(out);
    int64_t done = 0;
    while (done < n) {
      const unsigned step = static_cast<unsigned>(std::min<int64_t>(n - done, 1 << 30));
      const int got = gzread(file_, p + done, step);
      if (got < 0) throw_corrupt();
      if (got == 0) break;
      done += got;
    }
    // A cut-off gzip stream reads short and sets an error instead of failing.
    int errnum = Z_OK;
    gzerror(file_, &errnum);
    if (done < n && errnum != Z_OK) throw_corrupt();
    return done;
  }

  /// Reads to the end, so that a gzip member's CRC and length are verified
  /// (deflate can decode damaged data into the right number of wrong bytes).
  void finish() {
    char scratch[1 << 14];
    while (read(scratch, sizeof scratch) == static_cast<int64_t>(sizeof scratch)) {
    }
  }

 private:
  [[noreturn]] void throw_corrupt() {
    int errnum = Z_OK;
    std::string msg = gzerror(file_, &errnum);
    if (msg.rfind(path_ + ": ", 0) == 0) msg.erase(0, path_.size() + 2);  // zlib prefixes the path
    if (msg.empty()) msg = "read error";
    throw UsageError("corrupt gzip stream: " + msg + " (" + path_ + ")");
  }

  std::string path_;
  gzFile file_ = nullptr;
};

uint32_t big_endian32(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

const char* idx_type_name(uint8_t code) {
  switch (code) {
    case 0x08: return "uint8";
    case 0x09: return "int8";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
  }
}

/// A uint8 IDX array of `ndim` dimensions: returns its dims and data.
at::Tensor read_idx_array(const std::string& path, int ndim, const std::string& what) {
  GzFile file(path);
  const uint32_t expected_magic = 0x0800u | static_cast<uint32_t>(ndim);
  uint8_t head[4];
  if (file.read(head, 4) < 4) throw UsageError("truncated IDX header (" + path + ")");
  const uint32_t magic = big_endian32(head);
  if (head[0] != 0 || head[1] != 0) {
    throw UsageError("not an IDX file: magic " + hex32(magic) + ", expected " + hex32(expected_magic) + " for " + what +
                     " (" + path + ")");
  }
  if (head[2] != 0x08) {
    char code[8];
    std::snprintf(code, sizeof code, "0x%02X", head[2]);
    throw UsageError(std::string("IDX element type ") + code + " (" + idx_type_name(head[2]) +
                     ") is not supported, expected 0x08 (uint8) for " + what + " (" + path + ")");
  }
  if (head[3] != ndim) {
    throw UsageError("IDX magic " + hex32(magic) + " declares " + std::to_string(head[3]) + " dimension(s), expected " +
                     hex32(expected_magic) + " for " + what + " (" + path + ")");
  }
  std::vector<int64_t> dims(ndim);
  uint64_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    uint8_t b[4];
    if (file.read(b, 4) < 4) throw UsageError("truncated IDX header (" + path + ")");
    dims[d] = big_endian32(b);
    count *= static_cast<uint64_t>(dims[d]);
    if (count > (uint64_t{1} << 40)) throw UsageError("implausible IDX dimensions (" + path + ")");
  }
  // Refuse a corrupt header before allocating what it declares: the data
  // cannot exceed the file's size (deflate expands at most ~1032-fold).
  std::error_code ec;
  const uint64_t file_bytes = fs::file_size(path, ec);
  if (!ec && count > file_bytes * 1032 + 1024) {
    throw UsageError("IDX header declares " + with_commas(count) + " data bytes but the file holds " +
                     with_commas(file_bytes) + " (" + path + ")");
  }
  at::Tensor data = at::empty(dims, at::kByte);
  const int64_t got = file.read(data.data_ptr<uint8_t>(), static_cast<int64_t>(count));
  if (got < static_cast<int64_t>(count)) {
    throw UsageError("truncated IDX " + what + ": " + with_commas(got) + " data bytes, expected " + with_commas(count) +
                     " (" + path + ")");
  }
  file.finish();
  return data;
}

/// dir/{train,t10k}<stem>, plain or .gz (the plain file when both exist).
std::string mnist_file(const std::string& dir, const std::string& split, const std::string& stem,
                       const std::string& name) {
  check_split(split, dir);
  std::string plain = dir + "/" + (split == "train" ? "train" : "t10k") + stem;
  if (is_file(plain)) return plain;
  if (is_file(plain + ".gz")) return plain + ".gz";
  throw UsageError("missing " + name + " file " + fs::path(plain).filename().string() + "[.gz] (" + dir + ")");
}

ImageArray read_mnist_layout(const std::string& dir, const std::string& split, const std::string& name) {
  return read_idx(mnist_file(dir, split, "-images-idx3-ubyte", name),
                  mnist_file(dir, split, "-labels-idx1-ubyte", name));
}

// ---------------------------------------------------------------- image folders

bool has_image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

std::vector<std::string> list_images(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UsageError("image folder not found (" + dir + ")");
  std::vector<std::string> files;
  try {
    for (const auto& entry : fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink)) {
      if (entry.is_regular_file() && has_image_extension(entry.path())) files.push_back(entry.path().string());
    }
  } catch (const fs::filesystem_error& e) {
    throw UsageError("cannot list image folder: " + e.code().message() + " (" + dir + ")");
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw UsageError("no .png/.jpg/.jpeg images in folder (" + dir + ")");
  return files;
}

/// Decodes one file into out [channels, size, size] (uint8, contiguous).
void load_square(const std::string& path, int size, int channels, uint8_t* out) {
  const std::string bytes = read_bytes(path, "image");
  if (bytes.size() > static_cast<size_t>(INT_MAX)) throw UsageError("image file too large (" + path + ")");
  int w = 0, h = 0, in_channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &w, &h,
                            &in_channels, channels),
      stbi_image_free);
  if (!pixels) {
    const char* reason = stbi_failure_reason();
    throw UsageError(std::string("cannot decode image: ") + (reason ? reason : "unknown error") + " (" + path + ")");
  }
  // Centre crop: the odd pixel of an odd margin goes to the right / bottom.
  const int side = std::min(w, h);
  const int x0 = (w - side) / 2, y0 = (h - side) / 2;
  const stbi_uc* crop = pixels.get() + (static_cast<size_t>(y0) * w + x0) * channels;
  const int stride = w * channels;
  std::vector<uint8_t> hwc(static_cast<size_t>(size) * size * channels);
  if (side == size) {
    for (int y = 0; y < size; ++y)
      std::memcpy(&hwc[static_cast<size_t>(y) * size * channels], crop + static_cast<ptrdiff_t>(y) * stride,
                  static_cast<size_t>(size) * channels);
  } else {
    // Box when shrinking averages whole source areas (no aliasing, no ringing);
    // triangle when enlarging is bilinear interpolation.
    const stbir_filter filter = side > size ? STBIR_FILTER_BOX : STBIR_FILTER_TRIANGLE;
    if (!stbir_resize_uint8_generic(crop, side, side, stride, hwc.data(), size, size, size * channels, channels,
                                    STBIR_ALPHA_CHANNEL_NONE, /*flags=*/0, STBIR_EDGE_CLAMP, filter,
                                    STBIR_COLORSPACE_LINEAR, /*alloc_context=*/nullptr)) {
      throw Error("image resize failed (" + path + ")");
    }
  }
  const size_t plane = static_cast<size_t>(size) * size;
  for (size_t i = 0; i < plane; ++i) {
    for (int c = 0; c < channels; ++c) out[c * plane + i] = hwc[i * channels + c];
  }
}

}  // namespace

ImageArray read_cifar10(const std::string& dir, const std::string& split) {
  check_split(split, dir);
  std::error_code ec;
  const std::string nested = dir + "/cifar-10-batches-bin";
  const std::string root = fs::is_directory(nested, ec) ? nested : dir;
  std::vector<std::string> files;
  if (split == "train") {
    for (int k = 1; k <= 5; ++k) files.push_back(root + "/data_batch_" + std::to_string(k) + ".bin");
  } else {
    files.push_back(root + "/test_batch.bin");
  }
  std::vector<at::Tensor> images, labels;
  for (const auto& f : files) {
    ImageArray part = read_cifar_file(f);
    images.push_back(std::move(part.images));
    labels.push_back(std::move(part.labels));
  }
  if (images.size() == 1) return {images[0], labels[0]};
  return {at::cat(images, 0), at::cat(labels, 0)};
}

ImageArray read_idx(const std::string& images_path, const std::string& labels_path) {
  const at::Tensor raw = read_idx_array(images_path, 3, "images");
  ImageArray out;
  out.images = raw.unsqueeze(1);  // [N, 1, rows, cols], still contiguous
  if (!labels_path.empty()) {
    out.labels = read_idx_array(labels_path, 1, "labels").to(at::kLong);
    if (out.labels.size(0) != out.images.size(0)) {
      throw UsageError("IDX labels count " + with_commas(out.labels.size(0)) + " does not match " +
                       with_commas(out.images.size(0)) + " images in " + images_path + " (" + labels_path + ")");
    }
  }
  return out;
}

ImageArray read_mnist(const std::string& dir, const std::string& split) {
  return read_mnist_layout(dir, split, "MNIST");
}

std::vector<int64_t> read_mnist_shape(const std::string& dir, const std::string& split) {
  const std::string path =
      mnist_file(dir.empty() ? std::string(kDefaultFashionMnistDir) : dir, split, "-images-idx3-ubyte", "IDX");
  gzFile f = gzopen(path.c_str(), "rb");  // reads plain files too
  uint8_t header[16];
  const int got = f ? gzread(f, header, sizeof header) : -1;
  if (f) gzclose(f);
  if (got != static_cast<int>(sizeof header) || big_endian32(header) != 0x00000803) {
    throw UsageError("not an IDX file of uint8 images (" + path + ")");
  }
  return {1, static_cast<int64_t>(big_endian32(header + 8)), static_cast<int64_t>(big_endian32(header + 12))};
}

ImageArray read_fashion_mnist(const std::string& dir, const std::string& split) {
  return read_mnist_layout(dir.empty() ? std::string(kDefaultFashionMnistDir) : dir, split, "Fashion-MNIST");
}

at::Tensor read_image_file(const std::string& path, int64_t channels) {
  if (channels != 1 && channels != 3) {
    throw UsageError("image channels must be 1 or 3, got " + std::to_string(channels) + " (" + path + ")");
  }
  const std::string bytes = read_bytes(path, "image");
  if (bytes.size() > static_cast<size_t>(INT_MAX)) throw UsageError("image file too large (" + path + ")");
  int w = 0, h = 0, in_channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &w, &h,
                            &in_channels, static_cast<int>(channels)),
      stbi_image_free);
  if (!pixels) {
    const char* reason = stbi_failure_reason();
    throw UsageError(std::string("cannot decode image: ") + (reason ? reason : "unknown error") + " (" + path + ")");
  }
  auto hwc = at::from_blob(pixels.get(), {h, w, channels}, at::kByte);
  // A copy out of stb's buffer (contiguous() alone returns the view itself
  // when channels = 1: the permuted tensor is already contiguous).
  return hwc.permute({2, 0, 1}).clone(at::MemoryFormat::Contiguous);
}

ImageArray read_image_folder(const std::string& dir, int64_t size, int64_t channels) {
  if (channels != 1 && channels != 3) {
    throw UsageError("image channels must be 1 or 3, got " + std::to_string(channels) + " (" + dir + ")");
  }
  if (size < 1 || size > 4096) {
    throw UsageError("image size must be in 1..4096, got " + std::to_string(size) + " (" + dir + ")");
  }
  const std::vector<std::string> files = list_images(dir);
  const auto n = static_cast<int64_t>(files.size());
  ImageArray out;
  out.images = at::empty({n, channels, size, size}, at::kByte);
  uint8_t* base = out.images.data_ptr<uint8_t>();
  const int64_t per_image = channels * size * size;
  for (int64_t k = 0; k < n; ++k) {
    load_square(files[k], static_cast<int>(size), static_cast<int>(channels), base + k * per_image);
  }
  return out;
}

}  // namespace hold
