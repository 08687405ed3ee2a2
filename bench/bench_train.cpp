#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <chrono>
#include <cstdio>
#include "objectives/objective.h"
#include "sde/presets.h"
using namespace hold;
int main() {
  at::set_num_threads(2);
  SdeConfig sc; sc.name = "hold";
  LinearSde sde = make_sde(sc);
  Objective obj(sde, ObjectiveConfig{});
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  auto x0 = at::randn({512, 2});
  for (int rep = 0; rep < 3; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    int iters = 2000;
    for (int i = 0; i < iters; ++i) { auto b = obj.perturb(x0, gen); }
    auto t1 = std::chrono::steady_clock::now();
    printf("perturb: %.1f us\n", std::chrono::duration<double, std::micro>(t1 - t0).count() / iters);
    t0 = std::chrono::steady_clock::now();
    double acc = 0;
    for (int i = 0; i < iters; ++i) for (int s = 0; s < 512; ++s) { double t = 1e-5 + s * (1.0/512); auto k = sde.kernel(t); acc += k.phi(0,0);} 
    t1 = std::chrono::steady_clock::now();
    printf("kernel x512: %.1f us\n", std::chrono::duration<double, std::micro>(t1 - t0).count() / iters);
    t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) for (int s = 0; s < 512; ++s) { double t = 1e-5 + s * (1.0/512); auto k = sde.marginal_factor(t, obj.sigma0()); acc += k(0,0);} 
    t1 = std::chrono::steady_clock::now();
    printf("factor x512: %.1f us %g\n", std::chrono::duration<double, std::micro>(t1 - t0).count() / iters, acc);
  }
}
