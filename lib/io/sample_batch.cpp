#include "hold/io/sample_batch.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <string>

#include "hold/io/inpaint_inputs.h"

namespace hold {

SampleBatch sample_batch(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options, at::IntArrayRef shape,
                         const Batch& batch, const StepCallback& on_step, const KnownData* known) {
  const StepCallback callback = [&](const StepInfo& info) {
    if (on_step) on_step(info);
    if (batch.progress) {
      batch.progress(static_cast<double>(info.step) / static_cast<double>(std::max<int64_t>(info.n_steps, 1)),
                     "nfe=" + std::to_string(info.nfe));
    }
  };
  const SampleResult r = known ? sample_inpaint(sde, model, options, known_rows(*known, batch.first, batch.count),
                                                shape, batch.count, batch.generator, callback)
                               : sample(sde, model, options, shape, batch.count, batch.generator, callback);
  // float32 whatever the state's dtype: the one x that is saved and quantised.
  return {r.x.to(at::kFloat).cpu().contiguous(), r.nfe};
}

}  // namespace hold
