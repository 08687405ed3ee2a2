// hold-nll: the likelihood bound of a trained model (or the oracle) from the
// probability-flow ODE (math.md §5).
//   hold-nll --config X [--ckpt FILE] [--split test|train] [--exact-trace]
//            [--probes P] [--probe rademacher|gaussian] [--n N] [--batch B]
//            [--json FILE] [--per-point FILE.npz]
//   hold-nll --config X [--ckpt FILE] --grid N --out DIR
// Images: bits/dim of the 8-bit split (dequantised, +7 offset; padded pixels
// count as data, as training sees them). Toy data: nats/dim of fresh draws
// from the data set (seeded apart from training's). Prints the mean, its
// standard error, the number of points and the NFE per point; --json writes
// the same as JSON, --per-point an npz with each point's value (`nll`), its
// bound in nats (`log_likelihood`), its NFE (`nfe`) and the point itself
// (`x`, toy data) or its index in the split (`index`, images).
// Batch k draws its dequantisation noise, auxiliary blocks and probes from its
// own generator, batch_generator(seed, k) on the CPU (io/batch_runner.h):
// results do not depend on the order.
// With --per-point or --json, finished batches are kept in <that file>.parts/
// until the end, so an interrupted run resumes; under several processes
// (scripts/launch_local.sh, srun) rank r takes batches k ≡ r mod world and
// rank 0 merges: the same numbers as one process.
// --grid N (toy data of 1 or 2 dimensions): the model's ODE log-density on N
// (1-D) or N × N (2-D) points spanning the data's bounding box (of 20000
// fresh draws, 10 % margin), written to DIR/grid.npz (`axis`, `log_density`
// [N] or [N, N] with rows along y, `x` the points, and `true_log_density`
// where the data's density is known: mixtures, the checkerboard) and drawn as
// DIR/density.png next to the true density (a curve in 1-D, heat maps in 2-D).
// For K ≥ 2 each grid value is the one-draw bound of math.md §5.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>

#include "hold/core/device.h"
#include "hold/core/error.h"
#include "hold/data/data_source.h"
#include "hold/data/toy_dataset.h"
#include "hold/io/atomic_file.h"
#include "hold/io/batch_runner.h"
#include "hold/io/cli.h"
#include "hold/io/density_map.h"
#include "hold/io/npz.h"
#include "hold/io/output_path.h"
#include "hold/io/part_files.h"
#include "hold/io/plot.h"
#include "hold/likelihood/likelihood.h"
#include "hold/models/score_model.h"
#include "hold/sde/linear_sde.h"
#include "hold/sde/presets.h"
#include "hold/train/distributed.h"
#include "hold/train/run_components.h"
#include "hold/train/trained_network.h"

namespace {

constexpr int64_t kDefaultToyPoints = 1000;

/// The points to evaluate: uint8 pixels (images) or float data (toy), and the
/// unit their value is reported in.
struct EvaluationData {
  at::Tensor points;
  bool images = false;
};

EvaluationData evaluation_data(const hold::RunConfig& config) {
  const int64_t n = config.likelihood.n;
  if (hold::is_image_data(config.data.name)) {
    at::Tensor pixels = hold::read_image_data(config.data).images;
    if (n > pixels.size(0)) {
      throw hold::UsageError("likelihood.n is " + std::to_string(n) + " but the " + config.data.split + " split has " +
                             std::to_string(pixels.size(0)) + " images (" + config.where("likelihood.n") + ")");
    }
    return {n > 0 ? pixels.slice(0, 0, n) : pixels, true};
  }
  // Toy data: fresh draws, seeded apart from the training stream.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(config.seed) ^ 0x6C696B656C69686FULL);
  return {hold::make_toy_dataset(config.data)->sample(n > 0 ? n : kDefaultToyPoints, gen), false};
}

/// "bpd=3.1234 " (images) or "npd=0.1234 ": the running mean on the progress bar.
std::string postfix(bool images, double mean) {
  char text[32];
  std::snprintf(text, sizeof text, "%s=%.4f ", images ? "bpd" : "npd", mean);
  return text;
}

/// Per-point results of the evaluated points, in order.
struct Evaluation {
  at::Tensor per_point;       ///< bits/dim or nats/dim, [n] float64
  at::Tensor log_likelihood;  ///< nats, [n] float64
  at::Tensor nfe;             ///< [n] int64
};

/// One batch of the points, as saved in a part: `nll`, `log_likelihood`,
/// `nfe`. Its dequantisation noise, auxiliary blocks and probes come from
/// the batch's generator (CPU), so batches can run in any order, process,
/// or session. `on_step` sees the solver's time and NFE.
hold::NamedTensors evaluate_batch(const hold::RunConfig& config, const hold::LinearSde& sde, hold::ScoreModel& model,
                                  const EvaluationData& data, const hold::Batch& batch,
                                  const hold::LikelihoodProgress& on_step) {
  const at::Tensor chunk = data.points.slice(0, batch.first, batch.first + batch.count);
  const at::Tensor x = data.images ? hold::dequantize(chunk, batch.generator) : chunk.to(at::kDouble);
  const hold::LikelihoodBatch r =
      hold::log_likelihood_bound(sde, model, config.likelihood, x, batch.generator, on_step);
  const int64_t dim = data.points[0].numel();
  return {{"nll", data.images ? hold::bits_per_dim(r.log_likelihood, dim) : hold::nats_per_dim(r.log_likelihood, dim)},
          {"log_likelihood", r.log_likelihood},
          {"nfe", at::full({batch.count}, r.nfe, at::kLong)}};
}

/// Evaluates the points in batches of likelihood.batch through the batch
/// runner (io/batch_runner.h): with a parts folder each batch is saved there
/// as it finishes, batches already there are skipped (an interrupted run
/// resumes), rank r takes the batches k ≡ r (mod world) and rank 0 merges.
/// Returns the whole evaluation on rank 0, nullopt elsewhere.
std::optional<Evaluation> evaluate(const hold::RunConfig& config, const hold::LinearSde& sde, hold::ScoreModel& model,
                                   const EvaluationData& data, const std::string& parts_dir,
                                   const hold::LaunchEnv& launch) {
  const hold::LikelihoodOptions& options = config.likelihood;
  hold::BatchRunner runner({.n = data.points.size(0),
                            .batch = options.batch,
                            .seed = config.seed,
                            .generator_device = c10::Device(c10::kCPU),  // log_likelihood_bound draws on the CPU
                            .parts_dir = parts_dir,
                            .rank = launch.rank,
                            .world = launch.world_size,
                            .timeout_s = config.distributed.timeout_s,
                            .label = "nll"});
  int64_t points = 0;  // evaluated in this session, for the running mean
  double sum = 0.0;
  const auto merged = runner.run([&](const hold::Batch& batch) {
    const std::string mean_so_far = points > 0 ? postfix(data.images, sum / points) : "";
    // Within a batch the bar moves with the solver's time from t_ε to T.
    const auto on_step = [&](double t, int64_t nfe) {
      batch.progress((t - options.t_eps) / (sde.t_max() - options.t_eps), mean_so_far + "nfe=" + std::to_string(nfe));
    };
    hold::NamedTensors result = evaluate_batch(config, sde, model, data, batch, on_step);
    points += batch.count;
    sum += result.at("nll").sum().item<double>();
    batch.progress(1.0,
                   postfix(data.images, sum / points) + "nfe=" + std::to_string(result.at("nfe")[0].item<int64_t>()));
    return result;
  });
  if (!merged) return std::nullopt;
  return Evaluation{merged->at("nll"), merged->at("log_likelihood"), merged->at("nfe")};
}

/// The grid of --grid: points [N or N², d] over the data's bounding box, and
/// the axis values [N] per coordinate.
struct Grid {
  at::Tensor points;
  std::vector<at::Tensor> axes;
};

Grid make_grid(const hold::RunConfig& config, int64_t n) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(config.seed) ^ 0x67726964ULL);
  const at::Tensor draws = hold::make_toy_dataset(config.data)->sample(20000, gen).to(at::kDouble);
  const int64_t d = draws.size(1);
  if (d > 2) {
    throw hold::UsageError("--grid needs 1-D or 2-D data, data set '" + config.data.name + "' has " +
                           std::to_string(d) + " dimensions (--grid)");
  }
  Grid g;
  for (int64_t i = 0; i < d; ++i) {
    const double lo = draws.select(1, i).min().item<double>(), hi = draws.select(1, i).max().item<double>();
    const double pad = 0.1 * (hi - lo);
    g.axes.push_back(at::linspace(lo - pad, hi + pad, n, at::kDouble));
  }
  if (d == 1) {
    g.points = g.axes[0].unsqueeze(1);
  } else {
    // Row-major over (y, x): point iy·N + ix is (x_ix, y_iy).
    const auto mesh = at::meshgrid({g.axes[1], g.axes[0]}, "ij");
    g.points = at::stack({mesh[1].reshape({-1}), mesh[0].reshape({-1})}, 1);
  }
  return g;
}

/// log p of the data at the points where it is known in closed form
/// (mixtures, the checkerboard); undefined otherwise.
at::Tensor true_log_density(const hold::RunConfig& config, const at::Tensor& points) {
  if (config.data.name == "checkerboard") {
    const at::Tensor cell = at::floor(points / 2.0);
    const at::Tensor inside = points.abs().amax(1).lt(4.0).logical_and(at::remainder(cell.sum(1), 2.0).eq(0.0));
    return at::where(inside, at::full_like(points.select(1, 0), hold::checkerboard_log_prob_inside()),
                     at::full_like(points.select(1, 0), -std::numeric_limits<double>::infinity()));
  }
  if (config.data.mixture.weights.empty()) return {};
  return config.data.mixture.log_prob(points);
}

/// --grid: evaluates the grid and writes grid.npz and density.png under out.
void write_grid(const hold::RunConfig& config, const hold::LinearSde& sde, hold::ScoreModel& model, int64_t n,
                const std::string& out) {
  const Grid grid = make_grid(config, n);
  const EvaluationData data{grid.points.to(at::kFloat), false};
  const std::optional<Evaluation> evaluation = evaluate(config, sde, model, data, "", hold::LaunchEnv{});
  const int64_t d = grid.points.size(1);
  std::vector<int64_t> shape(d, n);
  const at::Tensor log_density = evaluation->log_likelihood.reshape(shape);
  const at::Tensor truth = true_log_density(config, grid.points);
  std::vector<std::pair<std::string, at::Tensor>> npz{
      {"axis", d == 1 ? grid.axes[0] : at::stack(grid.axes)}, {"log_density", log_density}, {"x", grid.points}};
  if (truth.defined()) npz.emplace_back("true_log_density", truth.reshape(shape));
  std::filesystem::create_directories(out);
  hold::write_npz(out + "/grid.npz", npz);
  const std::string title = config.data.name + ", " + config.sde.name + ", " + config.objective.name +
                            (config.objective.name == "hdsm" ? " order " + std::to_string(config.objective.order) : "");
  if (d == 1) {
    auto as_vector = [](const at::Tensor& t) {
      const at::Tensor c = t.to(at::kDouble).contiguous();
      return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
    };
    std::vector<hold::Series> series{{"model (ODE)", as_vector(grid.axes[0]), as_vector(log_density.exp())}};
    if (truth.defined()) series.push_back({"data", as_vector(grid.axes[0]), as_vector(truth.exp())});
    hold::PlotOptions options;
    options.title = title;
    hold::write_line_plot_png(out + "/density.png", series, options);
  } else {
    // Short panel titles: two of them share the image's width.
    const std::string run =
        config.sde.name + ", " +
        (config.objective.name == "hdsm" ? "order " + std::to_string(config.objective.order) : config.objective.name);
    std::vector<hold::DensityPanel> panels{{"model (ODE), " + run, log_density.exp()}};
    if (truth.defined()) panels.push_back({"data", truth.reshape(shape).exp()});
    const auto& ax = grid.axes;
    hold::write_density_maps_png(out + "/density.png", panels, ax[0][0].item<double>(), ax[0][-1].item<double>(),
                                 ax[1][0].item<double>(), ax[1][-1].item<double>());
  }
  std::printf("grid: %lld points, mean %.1f NFE per point; wrote %s/grid.npz and %s/density.png\n",
              static_cast<long long>(grid.points.size(0)), evaluation->nfe.to(at::kDouble).mean().item<double>(),
              out.c_str(), out.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string ckpt_path, json_path, per_point_path, split = "test", weights = "ema", grid_out;
  bool exact_trace = false;
  int64_t grid = 0;
  return hold::run_app(
      argc, argv, "hold-nll",
      "Negative log-likelihood (bits/dim for images, nats/dim for toy data) from the probability-flow ODE.",
      [&](CLI::App& app, hold::CommonFlags& flags) {
        app.add_option("--ckpt", ckpt_path, "checkpoint (not needed for model.name: oracle)");
        app.add_option("--split", split, "images: the split evaluated (default test)")
            ->check(CLI::IsMember({"train", "test"}));
        app.add_flag("--exact-trace", exact_trace, "exact divergence (d backward passes per evaluation; small d)");
        flags.add_config_flag(app, "--probes", "likelihood.probes", "Hutchinson probes per point");
        flags.add_config_flag(app, "--probe", "likelihood.probe",
                              "Hutchinson probes: " + hold::probe_registry().choices());
        flags.add_config_flag(app, "--n", "likelihood.n", "points (0: the whole split; toy data: 1000)");
        flags.add_config_flag(app, "--batch", "likelihood.batch", "points per ODE solve");
        app.add_option("--weights", weights, "ema (default) or raw: which weights of the checkpoint")
            ->check(CLI::IsMember({"ema", "raw"}));
        app.add_option("--json", json_path, "also write the summary as JSON to this file");
        app.add_option("--per-point", per_point_path, "also write each point's value to this npz");
        app.add_option("--grid", grid,
                       "toy data of 1 or 2 dimensions: the ODE log-density on N (N x N) grid points, "
                       "written to --out as grid.npz and density.png")
            ->check(CLI::PositiveNumber);
        app.add_option("--out", grid_out, "with --grid: the output folder");
      },
      [&](const hold::CommonFlags& flags) {
        if (!json_path.empty()) hold::check_output_file(json_path, "--json");
        if (!per_point_path.empty()) hold::check_output_file(per_point_path, "--per-point");
        hold::RunConfig config = flags.load_config();
        config.data.split = split;
        if (exact_trace) config.likelihood.trace = "exact";
        if (grid > 0 && grid_out.empty()) throw hold::UsageError("--grid needs --out DIR (--out)");
        if (grid > 0 && hold::is_image_data(config.data.name)) {
          throw hold::UsageError("--grid needs toy data, got data set '" + config.data.name + "' (--grid)");
        }
        const EvaluationData data = grid > 0 ? EvaluationData{} : evaluation_data(config);  // before the network loads
        const hold::TrainedModel trained = hold::load_trained_model(
            config, flags.config_path, ckpt_path, weights == "raw" ? hold::WeightSet::kRaw : hold::WeightSet::kEma);
        config.likelihood.device = trained.device;
        if (grid > 0) {
          write_grid(config, *trained.sde, *trained.model, grid, grid_out);
          return 0;
        }

        // Part files (resume, several processes) live next to the requested output.
        const hold::LaunchEnv launch = hold::read_launch_env();
        const std::string output = !per_point_path.empty() ? per_point_path : json_path;
        if (launch.distributed() && output.empty()) {
          throw hold::UsageError(
              "several processes share hold-nll through part files next to --per-point or --json; "
              "give one of them");
        }
        const std::optional<Evaluation> evaluation =
            evaluate(config, *trained.sde, *trained.model, data, output.empty() ? "" : output + ".parts", launch);
        if (!evaluation) return 0;  // a rank other than 0: its batches are on disk
        const Evaluation& result = *evaluation;
        const hold::MeanWithError summary = hold::mean_with_error(result.per_point);
        const double nfe_per_point = result.nfe.to(at::kDouble).mean().item<double>();
        const char* unit = data.images ? "bits/dim" : "nats/dim";
        std::printf("%s: %.5f +- %.5f (standard error, n = %lld, %.1f NFE per point, trace %s)\n", unit, summary.mean,
                    summary.standard_error, static_cast<long long>(summary.n), nfe_per_point,
                    config.likelihood.trace.c_str());
        if (!json_path.empty()) {
          nlohmann::json j = {{"unit", unit},
                              {"mean", summary.mean},
                              {"standard_error", summary.standard_error},
                              {"n", summary.n},
                              {"nfe_per_point", nfe_per_point},
                              {"trace", config.likelihood.trace},
                              {"probes", config.likelihood.probes},
                              {"split", data.images ? config.data.split : "fresh draws"}};
          hold::write_file_atomic(json_path, j.dump(2) + "\n");
        }
        if (!per_point_path.empty()) {
          at::Tensor ids = data.images ? at::arange(summary.n, at::kLong) : data.points.to(at::kFloat);
          hold::write_npz(per_point_path, {{"nll", result.per_point},
                                           {"log_likelihood", result.log_likelihood},
                                           {"nfe", result.nfe},
                                           {data.images ? "index" : "x", ids}});
        }
        if (!output.empty()) hold::PartFiles(output + ".parts", 0).remove();
        return 0;
      });
}
