// The sampler driver: NFE budget, option validation, determinism, callbacks,
// shapes (math.md §4, style.md §5.2).
#include "hold/samplers/sampler.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>

#include <string>

#include "hold/core/error.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/presets.h"
#include "support/allclose.h"
#include "support/preset.h"

namespace hold {
namespace {

GaussianMixture gaussian(int64_t dim) {
  GaussianMixture m;
  m.weights = {1.0};
  m.means = {std::vector<double>(dim, 0.3)};
  m.stds = {std::vector<double>(dim, 0.5)};
  return m;
}

SamplerOptions options(const std::string& method, int64_t nfe, const std::string& solver = "rk45") {
  SamplerOptions o;
  o.method = method;
  o.ode_solver = solver;
  o.nfe = nfe;
  return o;
}

}  // namespace

TEST_CASE("Every sampler uses exactly its NFE budget", "[samplers]") {
  // nfe n: em, lt and ode/euler take n − 1 steps, heun and pc ⌊(n − 1)/2⌋,
  // rk4 ⌊(n − 1)/4⌋, plus the denoising step (math.md §4).
  struct Case {
    std::string sde, method, solver;
    int64_t nfe, steps, used;
    bool denoise;
  };
  const Case c = GENERATE(values<Case>({
      {"hold", "em", "", 10, 9, 10, true},
      {"vp", "em", "", 10, 9, 10, true},
      {"ve", "em", "", 7, 6, 7, true},
      {"subvp", "em", "", 7, 6, 7, true},
      {"cld", "lt", "", 10, 9, 10, true},
      {"hold", "lt", "", 2, 1, 2, true},
      {"vp", "lt", "", 10, 10, 10, false},
      {"vp", "pc", "", 10, 4, 9, true},
      {"ve", "pc", "", 11, 5, 11, true},
      {"subvp", "pc", "", 6, 3, 6, false},
      {"hold", "ode", "euler", 10, 9, 10, true},
      {"cld", "ode", "heun", 10, 4, 9, true},
      {"vp", "ode", "heun", 11, 5, 11, true},
      {"hold", "ode", "rk4", 10, 2, 9, true},
      {"ve", "ode", "rk4", 13, 3, 13, true},
      {"cld", "ode", "rk4", 8, 2, 8, false},
  }));
  CAPTURE(c.sde, c.method, c.solver, c.nfe, c.denoise);
  const LinearSde sde = preset(c.sde);
  GaussianMixtureOracle oracle(sde, gaussian(2));
  SamplerOptions o = options(c.method, c.nfe, c.solver.empty() ? "rk45" : c.solver);
  o.denoise = c.denoise;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const SampleResult r = sample(sde, oracle, o, {2}, 4, gen);
  CHECK(r.nfe == c.used);
  CHECK(r.steps == c.steps);
  REQUIRE(r.x.sizes() == at::IntArrayRef({4, 2}));
  CHECK(r.u.sizes() == at::IntArrayRef({4, 2 * sde.num_blocks()}));
  CHECK(r.x.isfinite().all().item<bool>());
}

TEST_CASE("The adaptive ODE sampler reports what Dormand-Prince evaluated", "[samplers]") {
  // FSAL dopri5: f(u_T) and the initial-step probe, 6 evaluations per attempted
  // step, then the denoising step: nfe = 3 + 6 · attempts ≥ 3 + 6 · accepted.
  const std::string name = GENERATE(as<std::string>{}, "vp", "cld");
  const LinearSde sde = preset(name);
  GaussianMixtureOracle oracle(sde, gaussian(2));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  int64_t callbacks = 0;
  const SampleResult r =
      sample(sde, oracle, options("ode", 0), {2}, 64, gen, [&](const StepInfo& info) { ++callbacks; });
  CAPTURE(name, r.nfe, r.steps);
  CHECK((r.nfe - 3) % 6 == 0);
  CHECK(r.nfe >= 3 + 6 * r.steps);
  CHECK(r.steps >= 3);
  CHECK(callbacks == r.steps + 1);
}

TEST_CASE("Bad sampler options are ConfigErrors naming the key", "[samplers]") {
  const LinearSde hold = preset("hold"), ve = preset("ve"), subvp = preset("subvp"), vp = preset("vp");
  CHECK_NOTHROW(options("lt", 10).validate(hold));
  CHECK_THROWS_WITH(options("pc", 10).validate(hold),
                    Catch::Contains("K = 1") && Catch::Contains("K = 3") && Catch::EndsWith("(sample.method)"));
  CHECK_NOTHROW(options("pc", 10).validate(vp));
  CHECK_THROWS_WITH(options("lt", 10).validate(ve), Catch::EndsWith("(sample.method)"));
  CHECK_THROWS_WITH(options("lt", 10).validate(subvp), Catch::EndsWith("(sample.method)"));
  CHECK_THROWS_WITH(options("sde", 10).validate(vp), Catch::Contains("'sde'") && Catch::Contains("em, lt, pc, ode") &&
                                                         Catch::EndsWith("(sample.method)"));
  CHECK_THROWS_WITH(options("ode", 10, "rk5").validate(vp),
                    Catch::Contains("rk45, euler, heun, rk4") && Catch::EndsWith("(sample.ode_solver)"));
  CHECK_THROWS_WITH(options("ode", 2, "heun").validate(vp),
                    Catch::Contains("at least 3") && Catch::EndsWith("(sample.nfe)"));
  CHECK_THROWS_WITH(options("ode", 4, "rk4").validate(vp), Catch::Contains("at least 5"));
  CHECK_THROWS_WITH(options("em", 1).validate(vp), Catch::EndsWith("(sample.nfe)"));
  CHECK_THROWS_WITH(options("pc", 2).validate(vp), Catch::EndsWith("(sample.nfe)"));
  CHECK_NOTHROW(options("ode", 1).validate(hold));  // rk45: the tolerances set the work
  SamplerOptions o = options("ode", 100);
  o.atol = 0;
  CHECK_THROWS_WITH(o.validate(vp), Catch::EndsWith("(sample.atol)"));
  o = options("em", 100);
  o.t_s = 1.5;
  CHECK_THROWS_WITH(o.validate(vp), Catch::EndsWith("(sample.t_s)"));
  o.t_s = 1e-3;
  o.dtype = at::kHalf;
  CHECK_THROWS_WITH(o.validate(vp), Catch::EndsWith("(sample.dtype)"));
  // sample() validates before drawing anything.
  GaussianMixtureOracle oracle(hold, gaussian(2));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  CHECK_THROWS_AS(sample(hold, oracle, options("pc", 10), {2}, 4, gen), ConfigError);
}

TEST_CASE("The same seed gives the same samples and sample_from leaves its input alone", "[samplers]") {
  const std::string method = GENERATE(as<std::string>{}, "em", "lt", "ode");
  CAPTURE(method);
  const LinearSde sde = preset("cld");
  GaussianMixtureOracle oracle(sde, gaussian(2));
  const SamplerOptions o = options(method, 12);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const at::Tensor a = sample(sde, oracle, o, {2}, 8, gen).x;
  const at::Tensor b = sample(sde, oracle, o, {2}, 8, at::make_generator<at::CPUGeneratorImpl>(5)).x;
  const at::Tensor c = sample(sde, oracle, o, {2}, 8, at::make_generator<at::CPUGeneratorImpl>(6)).x;
  CHECK(at::equal(a, b));
  CHECK(!at::equal(a, c));

  auto u0 = at::ones({8, 4});
  const at::Tensor kept = u0.clone();
  const SampleResult r = sample_from(sde, oracle, o, u0, 0.5, gen);
  CHECK(at::equal(u0, kept));
  CHECK(r.x.scalar_type() == at::kFloat);
  CHECK_THROWS_AS(sample_from(sde, oracle, o, u0, 1.5, gen), UsageError);
  CHECK_THROWS_AS(sample_from(sde, oracle, o, at::ones({8, 3}), 0.5, gen), UsageError);
}

TEST_CASE("Callbacks see every step in order, then the denoising step", "[samplers]") {
  const std::string method = GENERATE(as<std::string>{}, "em", "lt", "pc", "ode");
  CAPTURE(method);
  const LinearSde sde = preset("vp");
  GaussianMixtureOracle oracle(sde, gaussian(2));
  SamplerOptions o = options(method, 9, "heun");
  std::vector<StepInfo> seen;
  std::vector<at::Tensor> states;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const SampleResult r = sample(sde, oracle, o, {2}, 4, gen, [&](const StepInfo& info) {
    seen.push_back(info);
    states.push_back(info.u.clone());
  });
  const int64_t per_step = (method == "em" || method == "lt") ? 1 : 2;
  REQUIRE(seen.size() == size_t(r.steps + 1));
  for (size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i].step == int64_t(i) + 1);
    CHECK(seen[i].n_steps == r.steps + 1);
    CHECK(seen[i].t_next < seen[i].t);
    CHECK(seen[i].nfe == std::min<int64_t>(per_step * (i + 1), r.nfe));
    if (i > 0) CHECK(seen[i].t == seen[i - 1].t_next);
  }
  CHECK(seen.front().t == sde.t_max());
  CHECK(seen[seen.size() - 2].t_next == o.t_s);
  CHECK(seen.back().t_next == 0.0);
  CHECK(at::equal(states.back(), r.u));
}

TEST_CASE("Samplers keep image layouts and the state dtype", "[samplers]") {
  // [N, K·C, H, W] states: C = 2, H = W = 2 (Kronecker form) and C = 1, H = W = 6
  // (block-major form); the x block comes back as [N, C, H, W].
  const std::vector<int64_t> shape = GENERATE(std::vector<int64_t>{2, 2, 2}, std::vector<int64_t>{1, 6, 6});
  const std::string method = GENERATE(as<std::string>{}, "em", "lt", "ode");
  const at::ScalarType dtype = GENERATE(at::kFloat, at::kDouble);
  CAPTURE(shape, method, dtype);
  const LinearSde sde = preset("hold");
  GaussianMixtureOracle oracle(sde, gaussian(shape[0] * shape[1] * shape[2]));
  SamplerOptions o = options(method, 8);
  o.dtype = dtype;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const SampleResult r = sample(sde, oracle, o, shape, 3, gen);
  CHECK(r.x.sizes() == at::IntArrayRef({3, shape[0], shape[1], shape[2]}));
  CHECK(r.u.sizes() == at::IntArrayRef({3, 3 * shape[0], shape[1], shape[2]}));
  CHECK(r.x.scalar_type() == dtype);
  CHECK(r.u.scalar_type() == dtype);
  CHECK(r.x.isfinite().all().item<bool>());
}

}  // namespace hold
