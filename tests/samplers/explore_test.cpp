#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>

#include "models/gaussian_mixture_oracle.h"
#include "samplers/sampler_law.h"
#include "sde/presets.h"

namespace hold {
namespace {
struct FreeModel : ScoreModel {
  at::Tensor out;
  at::Tensor score(const at::Tensor& u, const at::Tensor& t) override { return out; }
};
}
TEST_CASE("explore overhead", "[.explore]") {
  at::set_num_threads(1);
  for (std::string name : {"vp", "cld", "hold"}) {
    SdeConfig c; c.name = name; LinearSde sde = make_sde(c);
    FreeModel model; model.out = at::zeros({512, 2});
    for (std::string method : {"em", "lt", "pc", "ode"}) {
      if (method == "pc" && name != "vp") continue;
      SamplerOptions o; o.method = method; o.ode_solver = "heun"; o.nfe = 1001;
      auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
      sample(sde, model, o, {2}, 512, gen);
      auto t0 = std::chrono::steady_clock::now();
      auto res = sample(sde, model, o, {2}, 512, gen);
      double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      std::cout << name << " " << method << ": " << us / res.nfe << " us per NFE" << std::endl;
    }
    SdeConfig c2 = c;
    GaussianMixture m;
    m.weights = {1, 1, 1, 1, 1};
    m.means = {{0, 0}, {0.8, 0.8}, {0.8, -0.8}, {-0.8, -0.8}, {-0.8, 0.8}};
    m.stds.assign(5, {0.05, 0.05});
    GaussianMixtureOracle oracle(sde, m);
    for (int n : {512, 10000}) {
      auto u = at::randn({n, 2 * sde.num_blocks()}, at::kDouble);
      auto t = at::full({n}, 0.3, at::kDouble);
      oracle.score(u, t);
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < 100; ++i) { t.fill_(0.3 + i * 1e-3); oracle.score(u, t); }
      double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      std::cout << name << " oracle n=" << n << ": " << us / 100 << " us per call" << std::endl;
    }
  }
}
}
