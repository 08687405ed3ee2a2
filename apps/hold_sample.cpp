// hold-sample: draws samples from a trained model (or the exact oracle).
//   hold-sample --config X [--ckpt FILE] --sampler em|lt|pc|ode --nfe N --n M --out DIR
// Writes DIR/samples.npz (x: float32 [M, ...] in data space; images also
// `images`: uint8 [M, H, W, C]) and a picture: DIR/grid.png for images,
// DIR/samples.png (scatter or histogram against fresh data) otherwise. Images
// are drawn in batches of --batch; --trajectory T adds DIR/trajectory.png, the
// x, v, a, ... blocks of the first samples at T times of the reverse process.
// With --metrics (toy data) also the energy distance to fresh data
// (DIR/metrics.json). Prints the NFE actually used. Batch k draws from its own
// generator, batch_generator(seed, k) (io/batch_runner.h), so hold-fid export
// with the same config, seed, sampler, NFE, --n and --batch draws the same
// images, and under several processes (scripts/launch_local.sh, srun) rank r
// draws batches k ≡ r mod world into DIR/parts/ and rank 0 merges them: the
// same samples as one process.
// Inpainting and colorization (samplers/inpaint.h, io/inpaint_inputs.h):
//   --inpaint FILE.npz --mask FILE.npz|FILE.png|left-half|center-square|random:<p>
//   --colorize IMAGES.npz, --inpaint-method path|replace (sample.inpaint_method)
// keep the known region of every sample exactly; images also get
// DIR/input.png, the known data with the unknown region grey.
// Class-conditional sampling (train/class_conditioning.h, math.md §10):
//   --class C                         the oracle: the exact score of component C
//   --class C --classifier CKPT|oracle [--guidance-scale w]
// classifier guidance (w = 1: Bayes' rule) with a classifier trained by
// hold-train's `classifier` objective or the data mixture's exact one; with
// --metrics the samples are compared with class C's component.
#include <ATen/ATen.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "hold/core/device.h"
#include "hold/core/error.h"
#include "hold/core/format.h"
#include "hold/core/seeds.h"
#include "hold/data/data_source.h"
#include "hold/data/toy_dataset.h"
#include "hold/io/atomic_file.h"
#include "hold/io/batch_runner.h"
#include "hold/io/cli.h"
#include "hold/io/image_grid.h"
#include "hold/io/inpaint_inputs.h"
#include "hold/io/npz.h"
#include "hold/io/output_path.h"
#include "hold/io/plot.h"
#include "hold/io/sample_batch.h"
#include "hold/metrics/mixture_modes.h"
#include "hold/metrics/sample_distance.h"
#include "hold/models/eps_network.h"
#include "hold/models/score_model.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/presets.h"
#include "hold/train/class_conditioning.h"
#include "hold/train/distributed.h"
#include "hold/train/run_components.h"
#include "hold/train/trained_network.h"

namespace {

/// A scatter plot (2-D) or histogram (1-D) of the samples over fresh data;
/// false (nothing written) for other dimensions.
bool write_plot(const std::string& path, const hold::RunConfig& config, const at::Tensor& x,
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
  } else {
    return false;
  }
  return true;
}

/// The mixture's per-mode statistics (metrics/mixture_modes.h) in metrics.json
/// and the worst of them on stdout.
void add_mode_metrics(nlohmann::json& j, const at::Tensor& x, const hold::GaussianMixture& mixture, int64_t cls) {
  const hold::MixtureModeReport r = hold::mixture_modes(x, mixture);
  if (cls >= 0) {
    // Class-conditional: the share of the samples in the class's component and its width.
    const hold::ModeStats& m = r.modes.at(static_cast<size_t>(cls));
    j["class"] = cls;
    j["class_fraction"] = m.weight;
    j["class_std_error"] = m.std_error;
    std::printf("class %lld: %.2f %% of the samples in its component, std error %+.2f %%\n",
                static_cast<long long>(cls), 100 * m.weight, 100 * m.std_error);
    return;
  }
  nlohmann::json modes = nlohmann::json::array();
  for (const hold::ModeStats& m : r.modes) {
    modes.push_back({{"weight", m.weight}, {"mean_error", m.mean_error}, {"std_error", m.std_error}});
  }
  j["modes"] = modes;
  j["worst_std_error"] = r.worst_std_error;
  j["worst_weight_error"] = r.worst_weight_error;
  j["worst_mean_error"] = r.worst_mean_error;
  std::printf("modes: worst std error %+.2f %%, worst weight error %.4f, worst mean error %.4f\n",
              100 * r.worst_std_error, r.worst_weight_error, r.worst_mean_error);
}

/// Captures the state of the first `rows` samples at `columns` steps spread
/// evenly over the reverse process (first step to the last, denoising included).
struct TrajectoryRecorder {
  int64_t rows = 0, columns = 0;
  std::vector<at::Tensor> states;
  std::vector<double> times;

  void operator()(const hold::StepInfo& info) {
    if (columns <= 0) return;
    const int64_t next = static_cast<int64_t>(states.size());
    if (next >= columns) return;
    // Column c is taken at step round(1 + c (n − 1) / (columns − 1)).
    const double span = static_cast<double>(info.n_steps - 1);
    const int64_t due = columns == 1 ? info.n_steps : 1 + std::llround(next * span / static_cast<double>(columns - 1));
    if (info.step < due) return;
    states.push_back(info.u.slice(0, 0, rows).to(at::kFloat).cpu().clone());
    times.push_back(info.t_next);
  }
};

/// hold-sample's results: x, the NFE per sample and, when recorded, batch 0's trajectory.
struct Samples {
  at::Tensor x;
  int64_t nfe = 0;
  std::vector<at::Tensor> trajectory;
  std::vector<double> times;
};

/// All n samples in batches of `batch`, batch k drawn from
/// batch_generator(seed, k) (io/batch_runner.h: the same samples as hold-fid
/// export). One process keeps the batches in memory; the processes of a
/// launch share them through OUT/parts (rank r draws the batches
/// k ≡ r mod world, rank 0 merges them: the one-process result). Batch 0 also
/// records the trajectory, saved with it so that it survives the merge.
/// Returns nullopt on ranks other than 0, which then have nothing more to do.
std::optional<Samples> draw_samples(const hold::LinearSde& sde, hold::ScoreModel& model,
                                    const hold::SamplerOptions& options, const std::vector<int64_t>& shape, int64_t n,
                                    int64_t batch, const hold::RunConfig& config, const std::string& out_dir,
                                    const TrajectoryRecorder& trajectory_plan, const hold::KnownData* known) {
  const hold::LaunchEnv launch = hold::read_launch_env();
  hold::BatchRunner runner({.n = n,
                            .batch = batch,
                            .seed = config.seed,
                            .generator_device = options.device,
                            .parts_dir = launch.distributed() ? out_dir + "/parts" : "",
                            .rank = launch.rank,
                            .world = launch.world_size,
                            .timeout_s = config.distributed.timeout_s,
                            .label = "sample " + options.method});
  const auto merged = runner.run([&](const hold::Batch& b) {
    TrajectoryRecorder trajectory = trajectory_plan;
    const hold::SampleBatch drawn = hold::sample_batch(
        sde, model, options, shape, b,
        [&](const hold::StepInfo& info) {
          if (b.index == 0) trajectory(info);
        },
        known);
    hold::NamedTensors out = {{"x", drawn.x}, {"nfe", at::full({b.count}, drawn.nfe, at::kLong)}};
    if (!trajectory.states.empty()) {
      out["trajectory"] = at::stack(trajectory.states);
      out["trajectory_times"] = at::tensor(trajectory.times, at::kDouble);
    }
    return out;
  });
  if (!merged) return std::nullopt;
  Samples samples;
  samples.x = merged->at("x");
  samples.nfe = merged->at("nfe")[n - 1].item<int64_t>();  // the last batch's, as one process reports it
  if (const auto it = merged->find("trajectory"); it != merged->end()) {
    samples.trajectory = it->second.unbind(0);
    const at::Tensor times = merged->at("trajectory_times");
    for (int64_t i = 0; i < times.size(0); ++i) samples.times.push_back(times[i].item<double>());
  }
  runner.remove_parts();
  return samples;
}

/// The known data of the first `count` samples with the unknown region at 0
/// (mid grey), back in data space: what the inpainting started from.
void write_input_grid(const std::string& path, const hold::KnownData& known, int64_t count) {
  std::vector<int64_t> shape = known.x.sizes().vec();
  shape[0] = std::max(known.x.size(0), known.mask.size(0));
  at::Tensor x = at::where(known.mask.expand(shape).ne(0), known.x.expand(shape), at::zeros({}, known.x.options()));
  if (known.channels.rows() > 0) x = hold::apply_channels(known.channels.transpose(), x);
  if (x.size(0) == 1) x = x.expand({count, shape[1], shape[2], shape[3]});
  hold::write_image_grid_png(path, x.slice(0, 0, count).contiguous());
}

}  // namespace

int main(int argc, char** argv) {
  std::string ckpt_path, out_dir;
  bool metrics = false;
  int64_t batch = 256, trajectory_columns = 0, trajectory_rows = 2;
  std::string weights = "ema";
  hold::InpaintInputs inpaint;
  hold::ClassFlags classes;
  CLI::Option* guidance_option = nullptr;
  CLI::Option* cfg_option = nullptr;
  return hold::run_app(
      argc, argv, "hold-sample", "Draw samples with any sampler from a trained model or the Gaussian-mixture oracle.",
      [&](CLI::App& app, hold::CommonFlags& flags) {
        app.add_option("--ckpt", ckpt_path, "checkpoint (not needed for model.name: oracle)");
        app.add_option("--out", out_dir, "output directory")->required();
        flags.add_config_flag(app, "--sampler", "sample.method", hold::join(hold::sampler_names(), " | "));
        flags.add_config_flag(app, "--nfe", "sample.nfe", "score evaluations allowed, denoising step included");
        flags.add_config_flag(app, "--n", "sample_count", "number of samples");
        flags.add_config_flag(app, "--grid", "sample.grid", hold::grid_registry().choices());
        flags.add_config_flag(app, "--solver", "sample.ode_solver",
                              "ode: " + hold::join(hold::ode_solver_names(), " | "));
        flags.add_config_flag(app, "--order", "sample.order",
                              "ei: extrapolation order 0..3 (-1: the preset's default)");
        flags.add_config_flag(app, "--frame", "sample.frame", "ei: " + hold::ei_frame_registry().choices());
        flags.add_config_flag(app, "--eta", "sample.eta",
                              "ei, frame x: stochastic variant, 0 (the ODE, default) … 1 (the reverse SDE)");
        app.add_option("--inpaint", inpaint.inpaint,
                       "inpainting: npz with the known data `x` ([1 or n, d]; images [1 or n, C, H, W], data scale)");
        app.add_option("--mask", inpaint.mask,
                       "inpainting: 1 = known; FILE.npz (`mask`), FILE.png, or the hidden part: left-half | "
                       "center-square | random:<fraction>");
        app.add_option("--colorize", inpaint.colorize,
                       "colorization: npz of RGB images `x` whose grey channel is kept");
        flags.add_config_flag(app, "--inpaint-method", "sample.inpaint_method",
                              "inpainting: " + hold::inpaint_method_registry().choices());
        app.add_option("--class", classes.cls,
                       "class-conditional: the class (a gmm's component); the oracle alone gives its exact score");
        guidance_option = app.add_option("--guidance-scale", classes.guidance_scale,
                                         "classifier guidance: w in s + w ∇ log p(class | u_t) (default 1)");
        app.add_option("--classifier", classes.classifier,
                       "classifier guidance: a checkpoint of hold-train's `classifier` objective, or `oracle` "
                       "(the exact classifier of a gmm data set)");
        cfg_option = app.add_option("--cfg-scale", classes.cfg_scale,
                                    "classifier-free guidance (model.num_classes > 0, or the oracle): w in "
                                    "(1 + w) s(u, C) − w s(u, ∅) (default 0: the conditional model)");
        app.add_flag("--metrics", metrics, "toy data: also report the energy distance to fresh data (metrics.json)");
        app.add_option("--weights", weights, "ema (default) or raw: which weights of the checkpoint to sample with")
            ->check(CLI::IsMember({"ema", "raw"}));
        app.add_option("--batch", batch, "samples drawn at once (images)")->check(CLI::PositiveNumber);
        app.add_option("--trajectory", trajectory_columns,
                       "images: also write trajectory.png, the blocks at this many times of the reverse process")
            ->check(CLI::PositiveNumber);
        app.add_option("--trajectory-samples", trajectory_rows, "samples shown in trajectory.png")
            ->check(CLI::PositiveNumber);
      },
      [&](const hold::CommonFlags& flags) {
        hold::check_output_dir(out_dir, "--out");
        hold::RunConfig config = flags.load_config();
        const std::vector<int64_t> shape = hold::data_shape(config.data);
        const bool images = shape.size() == 3;
        if (images && metrics) {
          throw hold::UsageError("--metrics is for toy data; for images use hold-fid (data.name " + config.data.name +
                                 ")");
        }
        if (!images && trajectory_columns > 0)
          throw hold::UsageError("--trajectory is for image data (data.name " + config.data.name + ")");
        const int64_t n = config.sample_count;
        std::optional<hold::KnownData> known;
        if (inpaint.any()) {
          if (metrics) {
            throw hold::UsageError("--metrics compares with the unconditional data; it does not apply to " +
                                   std::string(inpaint.colorize.empty() ? "inpainting" : "colorization") +
                                   " (--metrics)");
          }
          known = hold::read_known_data(inpaint, shape, n, config.seed);
        }
        if (metrics && classes.conditional() && config.data.mixture.weights.empty()) {
          throw hold::UsageError(
              "--metrics with --class compares with the class's component: it needs a gmm data set (" +
              config.data.name + ") (--metrics)");
        }
        const hold::TrainedModel trained = hold::load_trained_model(
            config, flags.config_path, ckpt_path, weights == "raw" ? hold::WeightSet::kRaw : hold::WeightSet::kEma);
        const hold::LinearSde& sde = *trained.sde;
        classes.guidance_given = guidance_option->count() > 0;
        classes.cfg_given = cfg_option->count() > 0;
        const hold::ClassConditionedModel conditioned = hold::condition_on_class(
            config, trained, classes, weights == "raw" ? hold::WeightSet::kRaw : hold::WeightSet::kEma);
        hold::ScoreModel* const model = conditioned.model;
        hold::SamplerOptions options = config.sample;
        options.device = trained.device;

        const TrajectoryRecorder trajectory_plan{std::min(trajectory_rows, n), trajectory_columns, {}, {}};
        std::filesystem::create_directories(out_dir);
        const std::optional<Samples> result = draw_samples(sde, *model, options, shape, n, images ? batch : n, config,
                                                           out_dir, trajectory_plan, known ? &*known : nullptr);
        if (!result) return 0;  // a rank other than 0: its batches are on disk
        const at::Tensor& x = result->x;
        std::printf("nfe: %lld\n", static_cast<long long>(result->nfe));
        const int64_t finite = at::isfinite(x.reshape({n, -1})).all(1).sum().item<int64_t>();
        if (finite < n)
          std::printf("warning: %lld of %lld samples are not finite\n", static_cast<long long>(n - finite),
                      static_cast<long long>(n));
        if (images) {
          hold::write_npz(out_dir + "/samples.npz", {{"x", x}, {"images", hold::to_uint8_nhwc(x)}});
          hold::write_image_grid_png(out_dir + "/grid.png", x.slice(0, 0, std::min<int64_t>(n, 256)));
          std::printf("samples: %s/samples.npz\ngrid: %s/grid.png\n", out_dir.c_str(), out_dir.c_str());
          if (!result->trajectory.empty()) {
            hold::write_trajectory_png(out_dir + "/trajectory.png", result->trajectory, result->times,
                                       sde.num_blocks());
            std::printf("trajectory: %s/trajectory.png\n", out_dir.c_str());
          }
          if (known) {
            write_input_grid(out_dir + "/input.png", *known, std::min<int64_t>(n, 256));
            std::printf("input: %s/input.png\n", out_dir.c_str());
          }
          return 0;
        }
        hold::write_npz(out_dir + "/samples.npz", {{"x", x}});
        auto ref_gen = hold::make_generator(static_cast<uint64_t>(config.seed) + 1);
        // Class-conditional: fresh draws of the class's component.
        const bool class_reference = conditioned.class_mixture.num_components() > 0;
        const at::Tensor reference = class_reference ? conditioned.class_mixture.sample(n, ref_gen)
                                                     : hold::reference_data(config.data, n, ref_gen);
        std::string title =
            config.sde.name + " / " + config.sample.method + " / " + std::to_string(result->nfe) + " NFE";
        if (classes.conditional()) title += " / class " + std::to_string(classes.cls);
        const bool plotted = write_plot(out_dir + "/samples.png", config, x, reference, title);
        if (metrics) {
          const double ed = hold::energy_distance(x.to(at::kDouble), reference.to(at::kDouble));
          std::printf("energy_distance: %.6g (vs %lld fresh data points)\n", ed, static_cast<long long>(n));
          nlohmann::json j = {{"sampler", config.sample.method},
                              {"nfe", result->nfe},
                              {"n", n},
                              {"energy_distance", ed},
                              {"finite", finite}};
          if (!config.data.mixture.weights.empty()) add_mode_metrics(j, x, config.data.mixture, classes.cls);
          hold::write_file_atomic(out_dir + "/metrics.json", j.dump(2) + "\n");
        }
        std::printf("samples: %s/samples.npz\n", out_dir.c_str());
        if (plotted) std::printf("plot: %s/samples.png\n", out_dir.c_str());
        return 0;
      });
}
