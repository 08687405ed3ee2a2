#include "hold/io/sample_batch.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <string>

namespace hold {

SampleBatch sample_batch(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options, at::IntArrayRef shape,
                         const Batch& batch, const StepCallback& on_step) {
  const SampleResult r = sample(sde, model, options, shape, batch.count, batch.generator, [&](const StepInfo& info) {
    if (on_step) on_step(info);
    if (batch.progress) {
      batch.progress(static_cast<double>(info.step) / static_cast<double>(std::max<int64_t>(info.n_steps, 1)),
                     "nfe=" + std::to_string(info.nfe));
    }
  });
  // float32 whatever the state's dtype: the one x that is saved and quantised.
  return {r.x.to(at::kFloat).cpu().contiguous(), r.nfe};
}

}  // namespace hold
