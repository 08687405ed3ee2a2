#pragma once
// One batch of samples of a batched sampling run (io/batch_runner.h), the
// same call for hold-sample and hold-fid export: with the same config, seed,
// sampler, NFE and batch size the two tools draw the same samples, and
// hold-fid export's uint8 images are hold-sample's `images` (to_uint8_nhwc of
// the same float32 x, io/image_grid.h).
#include <ATen/core/Tensor.h>
#include <c10/util/ArrayRef.h>

#include <cstdint>

#include "hold/io/batch_runner.h"
#include "hold/samplers/inpaint.h"
#include "hold/samplers/sampler.h"

namespace hold {

class LinearSde;
class ScoreModel;

struct SampleBatch {
  at::Tensor x;     ///< float32 [count, ...] on the CPU, contiguous (data space)
  int64_t nfe = 0;  ///< score evaluations per sample
};

/// hold::sample of batch.count samples of per-sample shape `shape` from
/// batch.generator; the bar follows the sampler's steps ("nfe=N"), and
/// on_step, if given, sees every step too (hold-sample's trajectory). With
/// known data (for the run's n samples; one-row tensors broadcast) it is
/// sample_inpaint of the batch's rows instead.
SampleBatch sample_batch(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options, at::IntArrayRef shape,
                         const Batch& batch, const StepCallback& on_step = {}, const KnownData* known = nullptr);

}  // namespace hold
