// hold-sample: draws samples from a trained model (or the exact oracle).
//   hold-sample --config X [--ckpt FILE] --sampler em|lt|pc|ode --nfe N --n M --out DIR
// Writes DIR/samples.npz (x: float32 [M, d]) and DIR/samples.png (scatter or
// histogram against fresh data); with --metrics also the energy distance to
// fresh data (DIR/metrics.json). Prints the NFE actually used.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "data/toy_dataset.h"
#include "io/atomic_file.h"
#include "io/cli.h"
#include "io/npz.h"
#include "io/plot.h"
#include "io/progress.h"
#include "metrics/sample_distance.h"
#include "models/eps_network.h"
#include "models/factory.h"
#include "models/score_model.h"
#include "samplers/sampler.h"
#include "sde/presets.h"
#include "train/checkpoint.h"

namespace {

/// The sections that define what a checkpoint's network computes.
std::string model_identity(const hold::RunConfig& c) {
  hold::RunConfig k;
  k.sde = c.sde;
  k.data = c.data;
  k.model = c.model;
  k.objective = c.objective;
  return hold::to_yaml(k);
}

void write_plot(const std::string& path, const hold::RunConfig& config, const at::Tensor& x,
                const at::Tensor& reference, const std::string& title) {
  hold::PlotOptions plot;
  plot.title = title;
  if (x.size(1) == 2) {
    hold::write_scatter_png(path, x, reference, plot);
  } else if (x.size(1) == 1) {
    hold::DensityFn density;
    if (config.data.name != "swissroll") {
      const hold::GaussianMixture mixture = config.data.mixture;
      density = [mixture](const at::Tensor& v) { return mixture.log_prob(v.reshape({-1, 1})).exp(); };
    }
    hold::write_histogram_png(path, x.reshape({-1}), density, reference.reshape({-1}), plot);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string ckpt_path, out_dir;
  bool metrics = false;
  return hold::run_app(
      argc, argv, "hold-sample", "Draw samples with any sampler from a trained model or the Gaussian-mixture oracle.",
      [&](CLI::App& app, hold::CommonFlags& flags) {
        app.add_option("--ckpt", ckpt_path, "checkpoint (not needed for model.name: oracle)");
        app.add_option("--out", out_dir, "output directory")->required();
        flags.add_config_flag(app, "--sampler", "sample.method", "em | lt | pc | ode");
        flags.add_config_flag(app, "--nfe", "sample.nfe", "score evaluations allowed, denoising step included");
        flags.add_config_flag(app, "--n", "sample_count", "number of samples");
        flags.add_config_flag(app, "--grid", "sample.grid", "uniform | quadratic");
        flags.add_config_flag(app, "--solver", "sample.ode_solver", "ode: rk45 | euler | heun | rk4");
        app.add_flag("--metrics", metrics, "also report the energy distance to fresh data (metrics.json)");
      },
      [&](const hold::CommonFlags& flags) {
        hold::RunConfig config = flags.load_config();
        std::shared_ptr<hold::EpsNetwork> net;
        const auto data = hold::make_toy_dataset(config.data);
        if (config.model.name != "oracle") {
          if (ckpt_path.empty()) throw hold::UsageError("model '" + config.model.name + "' needs a checkpoint (--ckpt)");
          const hold::LoadedCheckpoint ckpt = hold::load_checkpoint(ckpt_path);
          if (!flags.config_path.empty() && model_identity(ckpt.config) != model_identity(config)) {
            throw hold::UsageError("checkpoint was trained with a different sde/data/model/objective than " +
                                   flags.config_path + " (" + ckpt_path + ")");
          }
          net = hold::make_network(config, data->dim());
          hold::load_weights(*net, ckpt, hold::WeightSet::kEma);
          net->eval();
        }
        const hold::LinearSde sde = hold::make_sde(config.sde);
        const auto model = hold::make_score_model(config, sde, net);

        auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(config.seed));
        const int64_t n = config.sample_count;
        hold::ProgressBar bar("sample " + config.sample.method, 0);
        const hold::SampleResult result = hold::sample(
            sde, *model, config.sample, {data->dim()}, n, gen, [&](const hold::StepInfo& info) {
              bar.set_total(info.n_steps);
              bar.update(info.step, "nfe=" + std::to_string(info.nfe));
            });
        bar.finish();

        std::filesystem::create_directories(out_dir);
        const at::Tensor x = result.x.to(at::kFloat).contiguous();
        hold::write_npz(out_dir + "/samples.npz", {{"x", x}});
        auto ref_gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(config.seed) + 1);
        const at::Tensor reference = data->sample(n, ref_gen);
        const std::string title = config.sde.name + " / " + config.sample.method + " / " +
                                  std::to_string(result.nfe) + " NFE";
        write_plot(out_dir + "/samples.png", config, x, reference, title);

        std::printf("nfe: %lld\n", static_cast<long long>(result.nfe));
        const int64_t finite = at::isfinite(x).all(1).sum().item<int64_t>();
        if (finite < n) std::printf("warning: %lld of %lld samples are not finite\n", static_cast<long long>(n - finite), static_cast<long long>(n));
        if (metrics) {
          const double ed = hold::energy_distance(x.to(at::kDouble), reference.to(at::kDouble));
          std::printf("energy_distance: %.6g (vs %lld fresh data points)\n", ed, static_cast<long long>(n));
          nlohmann::json j = {{"sampler", config.sample.method}, {"nfe", result.nfe}, {"n", n},
                              {"energy_distance", ed}, {"finite", finite}};
          hold::write_file_atomic(out_dir + "/metrics.json", j.dump(2) + "\n");
        }
        std::printf("samples: %s/samples.npz\nplot: %s/samples.png\n", out_dir.c_str(), out_dir.c_str());
        return 0;
      });
}
