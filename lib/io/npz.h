#pragma once
// NumPy .npz files: a zip archive of .npy arrays, as np.savez writes them
// (np.load reads ours; numpy is not needed to write or read them here). The
// zip layer is libzip's.
//
// Writer: NPY format 1.0 (header padded with spaces to a multiple of 64 bytes,
// "{'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }"), little-endian,
// C order; zip entries "<name>.npy" stored uncompressed with their CRC-32 and a
// fixed timestamp (1980-01-01), so equal arrays give byte-identical files.
// Entries and archives over 4 GiB get zip64 records, smaller ones the plain
// zip records (np.load reads both). The array bytes go from the tensor's memory
// to the file without a second copy. The file is written atomically
// (atomic_file.h): a failed or interrupted write leaves the target untouched.
//
// Reader: stored or deflated entries (np.savez and np.savez_compressed), zip64,
// NPY 1.0/2.0/3.0, little-endian or byte-order-free dtypes, C or Fortran order.
// NpzReader reads the archive's directory only and then single arrays (or just
// their dtype and shape) on demand, streaming each entry into the tensor's
// memory; read_npz reads them all. The CRC-32 of every array read is checked.
//
// dtypes: float32 <f4, float64 <f8, float16 <f2, uint8 |u1, int8 |i1,
// int16 <i2, int32 <i4, int64 <i8, bool |b1.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hold {

/// Writes the arrays (any device, any strides; copied to contiguous CPU) to
/// `path` as an .npz, e.g. write_npz(p, {{"x", x}, {"images", images_u8}}).
/// Throws UsageError naming the path on a bad or repeated name, a dtype npz
/// cannot hold, or a failed write.
void write_npz(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& arrays);

/// Reads every array of an .npz file, keyed by name (without ".npy"), as CPU
/// tensors of the stored dtype and shape. Throws UsageError naming the path.
std::map<std::string, at::Tensor> read_npz(const std::string& path);

/// Reads one array of an .npz file (NpzReader(path).read(name)).
at::Tensor read_npz_array(const std::string& path, const std::string& name);

/// What an .npy header declares.
struct NpyInfo {
  at::ScalarType dtype;
  std::vector<int64_t> shape;  ///< C order: the shape the tensor read will have
  bool fortran_order = false;  ///< as stored; read() returns C order either way
};

/// An open .npz archive: the constructor reads its directory only; read()
/// streams one entry into a tensor. Every error is a UsageError naming the
/// path (and the entry). Not thread-safe: one reader per thread.
///
///   NpzReader npz("samples.npz");
///   if (npz.contains("images")) images = npz.read("images");
class NpzReader {
 public:
  explicit NpzReader(const std::string& path);
  ~NpzReader();
  NpzReader(NpzReader&&) noexcept;
  NpzReader& operator=(NpzReader&&) noexcept;

  const std::string& path() const;
  /// Array names (entry names without ".npy"), in archive order.
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  /// dtype and shape from the entry's .npy header, without reading the data.
  NpyInfo info(const std::string& name) const;
  /// The array as a contiguous CPU tensor of the stored dtype and shape.
  at::Tensor read(const std::string& name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The .npy bytes (magic, version 1.0, header, data) of one array.
std::string npy_bytes(const at::Tensor& array);
/// The NPY 1.0 dict text for a dtype and shape, e.g.
/// "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }" (unpadded).
std::string npy_header_dict(at::ScalarType dtype, at::IntArrayRef shape);

}  // namespace hold
