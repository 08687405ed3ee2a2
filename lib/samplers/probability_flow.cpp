#include "samplers/probability_flow.h"

#include <ATen/ATen.h>

#include "sde/blocks.h"
#include "sde/linear_sde.h"

namespace hold::detail {

ProbabilityFlow::ProbabilityFlow(const SamplerContext& ctx) : ctx_(ctx), drift_(ctx.block_map(ctx.sde.drift())) {}

ProbabilityFlow::Point ProbabilityFlow::at(double t) const {
  return Point{ctx_.sde.beta(t), 0.5 * ctx_.sde.g2(t), ctx_.times(t)};
}

at::Tensor ProbabilityFlow::operator()(const at::Tensor& u, const Point& p) const {
  auto s = ctx_.model.score(u, p.times);
  auto du = drift_.apply(u).mul_(p.beta);
  last_block(du, ctx_.num_blocks).add_(s, -p.half_g2);
  return du;
}

}  // namespace hold::detail
