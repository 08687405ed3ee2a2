#include "hold/samplers/probability_flow.h"

#include <ATen/ATen.h>

#include "hold/models/score_model.h"
#include "hold/sde/blocks.h"
#include "hold/sde/linear_sde.h"

namespace hold {

ProbabilityFlow::ProbabilityFlow(const LinearSde& sde, ScoreModel& model, int64_t batch, int64_t block_numel,
                                 const at::TensorOptions& state_options)
    : sde_(sde),
      model_(model),
      batch_(batch),
      time_options_(at::TensorOptions().dtype(at::kDouble)),  // on the host: score models read t there
      drift_(sde.drift(), block_numel, state_options),
      trace_term_(static_cast<double>(block_numel) * sde.drift().trace()) {}

ProbabilityFlow::Point ProbabilityFlow::at(double t) const {
  return Point{sde_.beta(t), 0.5 * sde_.g2(t), at::full({batch_}, t, time_options_)};
}

at::Tensor ProbabilityFlow::operator()(const at::Tensor& u, const Point& p) const {
  return drift(u, model_.score(u, p.times), p);
}

at::Tensor ProbabilityFlow::drift(const at::Tensor& u, const at::Tensor& score, const Point& p) const {
  auto du = drift_.apply(u).mul_(p.beta);
  last_block(du, sde_.num_blocks()).add_(score, -p.half_g2);
  return du;
}

}  // namespace hold
