// Every sampler reproduces the 2-D five-mode mixture with the exact oracle
// (math.md §8 item 3): means (0,0), (±0.8, ±0.8), std 0.05, equal weights.
//
// n = 10000 float32 samples from the prior at T (seed 1), assigned to the
// nearest centre. Standard errors: a weight sqrt(0.2·0.8/n) = 0.004 (the 0.02
// tolerance is 5 SE), a mode's mean 0.05/sqrt(2000) = 0.0011 (0.02 is 18 SE),
// a mode's std 0.05/sqrt(2·2000), 1.6 % relative (10 % is 6 SE). The std also
// carries the method's bias: t_s = 1e-3 and the denoising step shrink it by
// ~3 %, lt under-disperses by 5–6 % at 400 NFE (math.md §4).
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/presets.h"
#include "support/allclose.h"
#include "support/five_modes.h"

namespace hold {

TEST_CASE("Every sampler reproduces the five-mode mixture", "[samplers]") {
  struct Case {
    std::string sde, method, solver;
    int64_t nfe;  // ignored by rk45 (atol = rtol = 1e-3)
  };
  const Case c = GENERATE(values<Case>({
      {"vp", "em", "", 200},
      {"vp", "lt", "", 400},
      {"vp", "pc", "", 401},
      {"vp", "ode", "rk45", 0},
      {"vp", "ode", "heun", 101},
      {"vp", "ode", "rk4", 101},
      {"cld", "em", "", 200},
      {"cld", "lt", "", 400},
      {"cld", "ode", "rk45", 0},
      {"cld", "ode", "heun", 201},
      {"cld", "ode", "rk4", 101},
      {"hold", "em", "", 400},
      {"hold", "lt", "", 400},
      {"hold", "ode", "rk45", 0},
      {"hold", "ode", "heun", 401},
      {"hold", "ode", "rk4", 401},
  }));
  CAPTURE(c.sde, c.method, c.solver, c.nfe);
  SdeConfig config;
  config.name = c.sde;
  const LinearSde sde = make_sde(config);
  GaussianMixtureOracle oracle(sde, test::five_mode_mixture());
  SamplerOptions o;
  o.method = c.method;
  if (!c.solver.empty()) o.ode_solver = c.solver;
  o.nfe = c.nfe;
  const int64_t n = 10000;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const SampleResult r = sample(sde, oracle, o, {2}, n, gen);
  CAPTURE(r.nfe);

  const auto centres = test::five_mode_centres();
  const std::vector<at::Tensor> modes = test::by_nearest_mode(r.x);
  for (int64_t j = 0; j < 5; ++j) {
    CAPTURE(j);
    const at::Tensor& xj = modes[j];
    CHECK(xj.size(0) / double(n) == Approx(0.2).margin(0.02));
    CHECK_ALLCLOSE(xj.mean(0), centres[j], 0.02);
    CHECK_ALLCLOSE_REL(xj.std(0), at::full({2}, 0.05, at::kDouble), 0.0, 0.10);
  }
}

}  // namespace hold
