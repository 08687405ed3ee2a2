// hold-train: trains the run a YAML config describes.
//   hold-train --config X [--workdir DIR] [--max-steps N] [--resume] [--init CKPT] [--dry-run]
// Launched as several processes (torchrun's or SLURM's environment, or
// scripts/launch_local.sh), it trains data-parallel (docs/distributed.md);
// rank 0 prints and writes, the other ranks stay quiet. SIGINT / SIGTERM
// stop it after a checkpoint (exit 128 + signal); --resume continues.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "hold/core/device.h"
#include "hold/core/error.h"
#include "hold/data/data_source.h"
#include "hold/io/cli.h"
#include "hold/io/output_path.h"
#include "hold/io/progress.h"
#include "hold/models/eps_network.h"
#include "hold/sde/presets.h"
#include "hold/train/distributed.h"
#include "hold/train/run_components.h"
#include "hold/train/stop_signal.h"
#include "hold/train/trainer.h"

namespace {

std::string default_workdir(const hold::CommonFlags& flags) {
  const std::string stem =
      flags.config_path.empty() ? "default" : std::filesystem::path(flags.config_path).stem().string();
  return "runs/" + stem;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

void print_summary(const hold::RunConfig& config, const hold::LinearSde& sde, const hold::EpsNetwork* net,
                   const std::vector<int64_t>& shape) {
  std::printf("config:     %s\n", config.source.c_str());
  std::printf("sde:        %s (K = %d, T = %g)\n", sde.name().c_str(), sde.num_blocks(), sde.t_max());
  std::printf("data:       %s (%s per point)\n", config.data.name.c_str(), shape_text(shape).c_str());
  if (config.objective.trains_classifier()) {
    std::printf("objective:  classifier of %lld classes on the perturbed state (labels from data.name %s)\n",
                static_cast<long long>(hold::num_classes(config.data)), config.data.name.c_str());
  } else {
    std::printf("objective:  %s, weighting %s\n", config.objective.name.c_str(), config.objective.weighting.c_str());
  }
  if (net) {
    std::printf("model:      %s, %lld parameters\n", config.model.name.c_str(),
                static_cast<long long>(hold::count_parameters(*net)));
  } else {
    std::printf("model:      %s (exact score, nothing to train)\n", config.model.name.c_str());
  }
  std::printf("train:      %lld steps, batch %lld, lr %g\n", static_cast<long long>(config.train.steps),
              static_cast<long long>(config.train.batch_size), config.train.lr);
}

}  // namespace

int main(int argc, char** argv) {
  std::string workdir;
  int64_t max_steps = -1;
  std::string init;
  bool resume = false, dry_run = false;
  return hold::run_app(
      argc, argv, "hold-train", "Train a score model on the data a YAML config describes.",
      [&](CLI::App& app, hold::CommonFlags&) {
        app.add_option("--workdir", workdir,
                       "directory for checkpoints/, metrics.jsonl, config.yaml (default runs/<config name>)");
        app.add_option("--max-steps", max_steps, "stop after this many steps in total (default: train.steps)")
            ->check(CLI::PositiveNumber);
        app.add_flag("--resume", resume, "continue from WORKDIR/checkpoints/latest.pt if it exists");
        app.add_option("--init", init,
                       "fine-tune: start from this checkpoint's weights (same model; the objective and train "
                       "section may differ) with a fresh optimiser at step 0");
        app.add_flag("--dry-run", dry_run, "validate the config, build the model, print a summary, exit");
      },
      [&](const hold::CommonFlags& flags) {
        // First: a signal during start-up then stops the run after its first step.
        hold::install_stop_signals();
        const hold::RunConfig config = flags.load_config();
        const hold::LaunchEnv launch = hold::read_launch_env();
        const bool quiet = launch.rank != 0;  // rank 0 speaks for the run
        const hold::LinearSde sde = hold::make_sde(config.sde);
        const std::vector<int64_t> shape = hold::data_shape(config.data);
        const auto net = hold::make_network(config, shape);
        if (!quiet) print_summary(config, sde, net.get(), shape);
        if (dry_run) return 0;
        if (!net) throw hold::ConfigError("model 'oracle' is exact and cannot be trained (model.name)");

        std::unique_ptr<hold::Communicator> comm;
        if (launch.distributed()) {
          hold::check_global_batch(config, launch.world_size);
          comm = std::make_unique<hold::Communicator>(launch, config.distributed, hold::resolve_device(config.device));
          if (!quiet) {
            std::printf("processes:  %lld (%s, backend %s, global batch %lld = %lld per process)\n",
                        static_cast<long long>(launch.world_size), launch.source.c_str(), comm->backend().c_str(),
                        static_cast<long long>(config.train.batch_size),
                        static_cast<long long>(config.train.batch_size / launch.world_size));
          }
        }
        hold::TrainOptions options{
            workdir.empty() ? default_workdir(flags) : workdir, resume, max_steps, init, comm.get(), {}};
        hold::check_output_dir(options.workdir, "--workdir");
        hold::Trainer trainer(config, options);
        if (!quiet) {
          std::printf("workdir:    %s (starting at step %lld)\n", options.workdir.c_str(),
                      static_cast<long long>(trainer.step()));
        }
        std::fflush(stdout);
        hold::ProgressBar bar("train", trainer.total_steps());
        if (quiet) bar.mute();
        bar.update(trainer.step());
        double smoothed = NAN;
        const hold::TrainResult result = trainer.run([&](const hold::TrainProgress& p) {
          smoothed = std::isnan(smoothed) ? p.loss : 0.98 * smoothed + 0.02 * p.loss;
          std::ostringstream postfix;
          postfix.precision(4);
          postfix << "loss=" << smoothed;
          bar.update(p.step, postfix.str());
        });
        bar.finish();
        if (result.stopped_by_signal != 0) {
          if (!quiet) {
            std::printf("stopped by signal %d at step %lld; checkpoint: %s\ncontinue with --resume\n",
                        result.stopped_by_signal, static_cast<long long>(result.step), result.checkpoint.c_str());
          }
          return 128 + result.stopped_by_signal;
        }
        if (quiet) return 0;
        std::printf("trained %lld steps, final loss %.5g\ncheckpoint: %s\n", static_cast<long long>(result.step),
                    result.loss, result.checkpoint.c_str());
        if (result.replicas_identical) {
          std::printf("replicas:   identical weights and EMA on all %lld processes\n",
                      static_cast<long long>(launch.world_size));
        }
        return 0;
      });
}
