#pragma once
// Seeds derived from the run's seed, one per independent piece of work (a
// batch of an export, a training step's dropout, ...), so that each piece
// draws the same numbers whichever process or session runs it, and in any
// order. `stream` keeps the tools' sequences apart for the same index.
//
// Generators live on the device whose tensors they fill: a CUDA generator
// draws on the GPU with no host round trip (its state is a seed and an
// offset, 16 bytes, saved in checkpoints like the CPU one's). The same seed
// gives the same numbers on the same kind of device; CPU and CUDA draw
// different (equally valid) numbers.
#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

#include <cstdint>

namespace hold {

/// seed · φ (the 64-bit golden ratio, spreading nearby seeds) + index + stream.
inline uint64_t derived_seed(int64_t seed, int64_t index, uint64_t stream = 0) {
  return static_cast<uint64_t>(seed) * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(index) + stream;
}

/// A fresh generator for `device` (CPU or CUDA) seeded with `seed`.
at::Generator make_generator(uint64_t seed, c10::Device device = c10::kCPU);

/// make_generator(derived_seed(seed, index, stream), device).
inline at::Generator derived_generator(int64_t seed, int64_t index, uint64_t stream = 0,
                                       c10::Device device = c10::kCPU) {
  return make_generator(derived_seed(seed, index, stream), device);
}

/// The stream of batched runs' batches (io/batch_runner.h): hold-sample,
/// hold-fid export and hold-nll. 1 is the stream hold-fid export always used,
/// so its exports are unchanged.
constexpr uint64_t kBatchStream = 1;

/// Batch k's generator in every batched run: the one formula shared by
/// hold-sample, hold-fid export and hold-nll, so that the same config, seed
/// and batch size give the same draws in each tool, whichever process or
/// session draws batch k:
///   derived_generator(seed, k, kBatchStream, device)
///   = make_generator(seed · φ + k + 1, device).
inline at::Generator batch_generator(int64_t seed, int64_t k, c10::Device device = c10::kCPU) {
  return derived_generator(seed, k, kBatchStream, device);
}

}  // namespace hold
