// bench-sampling: what a sampler costs beyond its network calls.
//
//   bench-sampling [--threads N] [--batch B] [--nfe N] [--repeats R] [--sde hold|cld|vp]
//
// Default: the toy MLP (5 layers, 128 hidden, Fourier time embedding) on the
// 2-D swiss-roll state of third-order HOLD, batch 512, 150 NFE. For each
// sampler (em, lt) it times a whole sample() call and the same number of bare
// network forward calls (same batch, inference mode), and prints
//   ratio = sampler time / bare network time   (target ≤ 1.05)
// taking the median of R repeats of each, interleaved so that drift in the
// machine's speed hits both alike.
#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "hold/core/build_info.h"
#include "hold/core/seeds.h"
#include "hold/io/cli.h"
#include "hold/io/config.h"
#include "hold/models/eps_network.h"
#include "hold/models/factory.h"
#include "hold/models/score_model.h"
#include "hold/objectives/objective.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/blocks.h"
#include "hold/sde/presets.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// A score model that costs nothing: what is left is the sampler's own work.
class ZeroScore : public hold::ScoreModel {
 public:
  at::Tensor score(const at::Tensor& u, const at::Tensor&) override {
    return at::zeros({u.size(0), u.size(1) / k_}, u.options());
  }
  explicit ZeroScore(int k) : k_(k) {}

 private:
  int k_;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, repeats = 7;
  int64_t batch = 512, nfe = 150;
  std::string sde_name = "hold";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--threads")
      threads = std::stoi(value);
    else if (flag == "--batch")
      batch = std::stoll(value);
    else if (flag == "--nfe")
      nfe = std::stoll(value);
    else if (flag == "--repeats")
      repeats = std::stoi(value);
    else if (flag == "--sde")
      sde_name = value;
    else {
      std::fprintf(stderr, "error: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  hold::tune_cpu_runtime();  // as every hold-* tool does
  at::set_num_threads(threads);
  const hold::RunConfig config = hold::parse_config(
      "sde: {name: " + sde_name + "}\ndata: {name: swissroll}\nmodel: {name: mlp, hidden: 128, layers: 5}\n" +
          "objective: {name: " + (sde_name == "vp" ? "dsm" : "bcsm") + "}\n",
      "bench-sampling");
  const hold::LinearSde sde = hold::make_sde(config.sde);
  const auto net = hold::make_network(config, /*data_dim=*/2);
  net->eval();
  const auto model = hold::make_score_model(config, sde, net);

  at::NoGradGuard no_grad;
  auto gen = hold::make_generator(0);
  const auto shape = hold::state_shape({batch, 2}, sde.num_blocks());
  const at::Tensor u = at::randn(shape, gen);
  const at::Tensor t = at::full({batch}, 0.5, at::kFloat);

  std::printf("bench-sampling: sde %s, batch %lld, %lld NFE, %d threads, median of %d\n", sde_name.c_str(),
              static_cast<long long>(batch), static_cast<long long>(nfe), threads, repeats);
  for (const std::string method : {"em", "lt"}) {
    hold::SamplerOptions options = config.sample;
    options.method = method;
    options.nfe = nfe;
    for (int w = 0; w < 2; ++w) {  // warm-up: allocator, OpenMP pool, caches
      net->forward(u, t);
      hold::sample(sde, *model, options, {2}, batch, gen);
    }
    ZeroScore zero(sde.num_blocks());
    std::vector<double> bare, sampler, wrapped, alone;
    const at::Tensor t64 = at::full({batch}, 0.5, at::kDouble);
    int64_t used = 0;
    for (int r = 0; r < repeats; ++r) {
      auto t0 = Clock::now();
      for (int64_t i = 0; i < nfe; ++i) net->forward(u, t);
      bare.push_back(seconds_since(t0));
      t0 = Clock::now();
      for (int64_t i = 0; i < nfe; ++i) model->score(u, t64);
      wrapped.push_back(seconds_since(t0));
      t0 = Clock::now();
      used = hold::sample(sde, *model, options, {2}, batch, gen).nfe;
      sampler.push_back(seconds_since(t0));
      t0 = Clock::now();
      hold::sample(sde, zero, options, {2}, batch, gen);
      alone.push_back(seconds_since(t0));
    }
    const double b = median(bare), s = median(sampler);
    std::printf(
        "%-3s nfe %lld: sampler %.2f ms, %lld bare network calls %.2f ms, ratio %.3f"
        " (score-model calls alone: %.3f; sampler with a free model: %.2f ms)\n",
        method.c_str(), static_cast<long long>(used), 1e3 * s, static_cast<long long>(nfe), 1e3 * b, s / b,
        median(wrapped) / b, 1e3 * median(alone));
  }
  return 0;
}
