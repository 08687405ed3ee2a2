#pragma once
// hold-sample's inpainting and colorization inputs (samplers/inpaint.h), read
// and checked; every error is a UsageError naming the flag (exit 2).
//   --inpaint FILE.npz   the known data, array `x`: vector data [1 or n, d]
//                        (or [d]); images [1 or n, C, H, W] float in the
//                        data's scale ([-1, 1]), or uint8 pixels (0…255)
//   --mask SPEC          1 = known: FILE.npz (array `mask`: [d] or [n, d];
//                        images [H, W], [C, H, W] or [n, C, H, W]), FILE.png
//                        (images: grey ≥ 128 known), or a preset naming what
//                        is hidden (filled in): left-half, center-square
//                        (images), random:<p> (each pixel, or coordinate,
//                        hidden with probability p, per sample)
//   --colorize FILE.npz  RGB images [1 or n, 3, H, W] (`x`, as --inpaint):
//                        their grey channel is known
// Rows of one (1) are broadcast to the run's --n samples.
#include <ATen/core/Tensor.h>
#include <c10/util/ArrayRef.h>

#include <cstdint>
#include <string>

#include "hold/samplers/inpaint.h"

namespace hold {

struct InpaintInputs {
  std::string inpaint;   ///< --inpaint FILE.npz; "" when not given
  std::string mask;      ///< --mask SPEC; "" when not given
  std::string colorize;  ///< --colorize FILE.npz; "" when not given
  bool any() const { return !inpaint.empty() || !mask.empty() || !colorize.empty(); }
};

/// The known data of a run of n samples of per-sample shape data_shape ({d}
/// or {C, H, W}); random masks draw from a generator derived from `seed`.
/// UsageError naming --inpaint, --mask or --colorize for a missing or
/// malformed file, a shape that does not fit the data or --n, a mask without
/// --inpaint (or the reverse), a random fraction outside [0, 1], colorization
/// of data that are not RGB images, or --colorize with --inpaint.
KnownData read_known_data(const InpaintInputs& in, at::IntArrayRef data_shape, int64_t n, int64_t seed);

/// The rows [first, first + count) of known data for n samples (one-row
/// tensors are kept as they are: broadcast).
KnownData known_rows(const KnownData& known, int64_t first, int64_t count);

}  // namespace hold
