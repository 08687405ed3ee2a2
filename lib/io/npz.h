#pragma once
// NumPy .npz files: a zip archive of .npy arrays, as np.savez writes them
// (np.load reads ours; numpy is not needed to write or read them here).
//
// Writer: NPY format 1.0 (header padded with spaces to a multiple of 64 bytes,
// "{'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }"), little-endian,
// C order; zip entries "<name>.npy" stored uncompressed with their CRC-32 (zlib)
// and a fixed timestamp (1980-01-01), so equal arrays give byte-identical
// files. No zip64: an array over 4 GiB is a UsageError. The file is written
// atomically (atomic_file.h).
//
// Reader: stored or deflated entries (np.savez and np.savez_compressed), NPY
// 1.0/2.0/3.0, little-endian or byte-order-free dtypes, C or Fortran order.
//
// dtypes: float32 <f4, float64 <f8, float16 <f2, uint8 |u1, int8 |i1,
// int16 <i2, int32 <i4, int64 <i8, bool |b1.
#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hold {

/// Writes the arrays (any device, any strides; copied to contiguous CPU) to
/// `path` as an .npz, e.g. write_npz(p, {{"x", x}, {"images", images_u8}}).
/// Throws UsageError naming the path on a bad name/dtype or a failed write.
void write_npz(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& arrays);

/// Reads every array of an .npz file, keyed by name (without ".npy"), as CPU
/// tensors of the stored dtype and shape. Throws UsageError naming the path.
std::map<std::string, at::Tensor> read_npz(const std::string& path);

/// The .npy bytes (magic, version 1.0, header, data) of one array.
std::string npy_bytes(const at::Tensor& array);
/// The NPY 1.0 dict text for a dtype and shape, e.g.
/// "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }" (unpadded).
std::string npy_header_dict(at::ScalarType dtype, at::IntArrayRef shape);

}  // namespace hold
