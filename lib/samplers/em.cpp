// em: Euler–Maruyama on the reverse SDE (math.md §4), 1 NFE per step.
#include <ATen/ATen.h>

#include "hold/samplers/sampler_registry.h"

namespace hold::detail {

FixedGridMethod em_method() {
  auto prepare = [](const SamplerContext& ctx, const std::vector<double>& grid) -> GridStepper {
    std::vector<ReverseEuler> coef;
    for (size_t i = 0; i + 1 < grid.size(); ++i) coef.push_back(reverse_euler(ctx, grid[i], grid[i] - grid[i + 1]));
    at::Tensor z = at::empty(ctx.block_shape(), ctx.state_options);  // noise of the last block
    return [&ctx, coef = std::move(coef), z](int64_t i, const at::Tensor& u) {
      ctx.noise(z);
      return reverse_euler_step(ctx, coef[i], u, z);
    };
  };
  return {"em", 1, prepare};
}

SamplerEntry em_sampler() {
  return {"em", "Euler–Maruyama on the reverse SDE (1 NFE per step)", {}, [](const SamplerOptions&) {
            return em_method();
          }};
}

}  // namespace hold::detail
