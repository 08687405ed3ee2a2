// hold-fid: sample export and Fréchet Inception Distance.
//   hold-fid export --config X [--ckpt FILE] [--sampler S --nfe N] --n M --out OUT.npz|DIR [--format npz|png]
//   hold-fid stats IMAGES.npz --extractor FILE.pt --out STATS.npz [--batch B]
//   hold-fid stats --config X [--split train|test] --extractor FILE.pt --out STATS.npz [--batch B]
//   hold-fid score A.npz B.npz [--extractor FILE.pt [--batch B]]
// IMAGES.npz holds uint8 NHWC images as `images` (hold-sample) or `arr_0`
// (the common evaluators' format); the extractor follows the calling
// convention of metrics/feature_extractor.h. Statistics files hold `mu` [D]
// and `sigma` [D, D] (float64; float32 accepted), the format of pytorch-fid's
// precomputed statistics. stats --config describes the configured image data
// set (padded as training sees it). score prints `fid: <d²>` (FID is the
// squared Fréchet distance, computed in float64 with symmetric square roots);
// either of its arguments may be an npz of images instead, whose statistics
// are computed first through --extractor (without it: a usage error naming
// the file). The extractor runs on --device (the config's `device`; the CPU
// without --config), e.g. --device cuda on a GPU machine.
// export draws M samples in batches; batch k uses its own generator,
// batch_generator(seed, k) (io/batch_runner.h: hold-sample with the same
// config, seed, sampler, NFE, --n and --batch draws the same samples, and its
// `images` equal arr_0), and is saved as OUT.parts/part_<k>.npz before the next one
// starts, so an interrupted export resumes at the first missing batch and the
// result does not depend on where it was interrupted. The finished export is
// OUT.npz with `arr_0` (uint8 [M, H, W, C], what the common FID evaluators
// read) or a folder of M PNGs; the parts are then removed. Launched as several
// processes (scripts/launch_local.sh, srun), rank r draws the batches
// k ≡ r (mod world) and rank 0 merges: the same result in 1/world of the time.
#include <ATen/ATen.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "hold/core/device.h"
#include "hold/core/error.h"
#include "hold/core/format.h"
#include "hold/data/data_source.h"
#include "hold/io/batch_runner.h"
#include "hold/io/cli.h"
#include "hold/io/image_grid.h"
#include "hold/io/npz.h"
#include "hold/io/output_path.h"
#include "hold/io/progress.h"
#include "hold/io/sample_batch.h"
#include "hold/metrics/feature_extractor.h"
#include "hold/metrics/frechet.h"
#include "hold/models/score_model.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/presets.h"
#include "hold/train/distributed.h"
#include "hold/train/run_components.h"
#include "hold/train/trained_network.h"

namespace {

/// How image statistics are computed: the extractor file, the images per
/// call and the device it runs on (--device; the CPU by default).
struct ExtractorOptions {
  std::string path;
  int64_t batch = 100;
  c10::Device device = c10::Device(c10::kCPU);
};

/// The `mu` [D] and `sigma` [D, D] of a statistics file's arrays.
hold::FeatureStats stats_in(const std::map<std::string, at::Tensor>& arrays, const std::string& path) {
  hold::FeatureStats stats;
  for (const char* key : {"mu", "sigma"}) {
    const auto it = arrays.find(key);
    if (it == arrays.end())
      throw hold::UsageError(std::string("no array '") + key + "' in the statistics file (" + path + ")");
    (std::string(key) == "mu" ? stats.mu : stats.sigma) = it->second.to(at::kDouble);
  }
  if (stats.mu.dim() != 1 || stats.sigma.dim() != 2 || stats.sigma.size(0) != stats.mu.size(0) ||
      stats.sigma.size(1) != stats.mu.size(0)) {
    throw hold::UsageError("statistics need mu [D] and sigma [D, D] (" + path + ")");
  }
  return stats;
}

/// The uint8 NHWC images of an npz (`images` or `arr_0`); undefined if it has
/// neither; UsageError naming the file if the array is not uint8 [N, H, W, 1|3].
at::Tensor images_in(const std::map<std::string, at::Tensor>& arrays, const std::string& path) {
  for (const char* key : {"images", "arr_0"}) {
    const auto it = arrays.find(key);
    if (it == arrays.end()) continue;
    const at::Tensor& images = it->second;
    if (images.scalar_type() != at::kByte || images.dim() != 4 || (images.size(3) != 1 && images.size(3) != 3)) {
      throw hold::UsageError(std::string("'") + key + "' must be uint8 images [N, H, W, 1 or 3] (" + path + ")");
    }
    return images;
  }
  return at::Tensor();
}

/// Feature statistics of uint8 NHWC images (from `where`) through the
/// extractor, in batches, with a progress bar.
hold::FeatureStats compute_stats(const at::Tensor& images, const std::string& where, const ExtractorOptions& o) {
  const int64_t n = images.size(0);
  if (n < 2) throw hold::UsageError("statistics need at least 2 images, got " + std::to_string(n) + " (" + where + ")");
  hold::FeatureExtractor extractor(o.path, o.device);
  hold::ProgressBar bar("features", n);
  std::vector<at::Tensor> features;
  for (int64_t done = 0; done < n; done += o.batch) {
    features.push_back(extractor.features(images.slice(0, done, std::min(n, done + o.batch))));
    bar.update(std::min(n, done + o.batch));
  }
  bar.finish();
  return hold::feature_stats(at::cat(features, 0));
}

/// The statistics a score argument stands for: a statistics file as it is, an
/// npz of images through the extractor (which must then be given).
hold::FeatureStats stats_of(const std::string& path, const ExtractorOptions& o) {
  const auto arrays = hold::read_npz(path);
  if (arrays.count("mu") || arrays.count("sigma")) return stats_in(arrays, path);
  const at::Tensor images = images_in(arrays, path);
  if (!images.defined()) {
    throw hold::UsageError("neither statistics (mu, sigma) nor uint8 images (images, arr_0) in (" + path + ")");
  }
  if (o.path.empty()) {
    throw hold::UsageError("an npz of images needs --extractor to compute its statistics (" + path + ")");
  }
  return compute_stats(images, path, o);
}

/// What `stats` describes: an npz of images, or the configured data set.
struct ImageSource {
  at::Tensor images;  ///< uint8 [N, H, W, C]
  std::string where;  ///< the file or folder, for messages
};

/// stats describes exactly one of an npz (IMAGES) and a data set (--config).
void require_one_source(const std::string& images_path, const std::string& config_path) {
  if (images_path.empty() == config_path.empty()) {
    throw hold::UsageError("stats takes either an npz of images or --config (a data set), not both or neither");
  }
}

/// The images of the npz at images_path if given, else of the data set `data`
/// (its `split`; data.split when split is empty), as uint8 NHWC.
ImageSource images_to_describe(const std::string& images_path, hold::DataConfig data, const std::string& split) {
  if (!images_path.empty()) {
    if (!split.empty()) {
      throw hold::UsageError("--split selects a split of the --config data set, not of (" + images_path + ")");
    }
    const at::Tensor images = images_in(hold::read_npz(images_path), images_path);
    if (!images.defined()) throw hold::UsageError("no uint8 image array 'images' or 'arr_0' in (" + images_path + ")");
    return {images, images_path};
  }
  if (!split.empty()) data.split = split;
  const at::Tensor nhwc = hold::read_image_data(data).images.permute({0, 2, 3, 1}).contiguous();
  return {nhwc, data.path.empty() ? data.name : data.path};
}

void write_stats(const ImageSource& source, const ExtractorOptions& o, const std::string& out) {
  const hold::FeatureStats stats = compute_stats(source.images, source.where, o);
  hold::write_npz(out, {{"mu", stats.mu}, {"sigma", stats.sigma}});
  std::printf("stats: %s (%lld images, %lld features)\n", out.c_str(), static_cast<long long>(source.images.size(0)),
              static_cast<long long>(stats.mu.size(0)));
}

struct ExportOptions {
  std::string ckpt, out, format = "npz";
  int64_t batch = 256;
};

void export_samples(const hold::RunConfig& config, const std::string& config_path, const ExportOptions& o) {
  namespace fs = std::filesystem;
  const std::vector<int64_t> shape = hold::data_shape(config.data);
  if (shape.size() != 3) throw hold::UsageError("export needs image data (data.name " + config.data.name + ")");
  const hold::TrainedModel trained = hold::load_trained_model(config, config_path, o.ckpt, hold::WeightSet::kEma);
  const hold::LinearSde& sde = *trained.sde;
  hold::ScoreModel* const model = trained.model.get();
  hold::SamplerOptions options = config.sample;
  options.device = trained.device;

  // Batch k is saved as OUT.parts/part_<k>.npz; several processes: rank r
  // draws the batches k ≡ r (mod world), rank 0 waits for the others' parts
  // and merges. Batch k's samples do not depend on who draws them (nor on
  // the tool: hold-sample draws the same), so the result equals a
  // one-process export.
  const int64_t n = config.sample_count;
  const hold::LaunchEnv launch = hold::read_launch_env();
  hold::BatchRunner runner({.n = n,
                            .batch = o.batch,
                            .seed = config.seed,
                            .generator_device = options.device,
                            .parts_dir = o.out + ".parts",
                            .rank = launch.rank,
                            .world = launch.world_size,
                            .timeout_s = config.distributed.timeout_s,
                            .label = "export"});
  if (const int64_t done = runner.finished(); done > 0 && launch.rank == 0) {
    std::printf("resuming: %lld of %lld batches already exported\n", static_cast<long long>(done),
                static_cast<long long>(runner.batches()));
  }
  const auto merged = runner.run([&](const hold::Batch& b) -> hold::NamedTensors {
    return {{"images", hold::to_uint8_nhwc(hold::sample_batch(sde, *model, options, shape, b).x)}};
  });
  if (!merged) return;
  const at::Tensor& all = merged->at("images");
  if (o.format == "png") {
    fs::create_directories(o.out);
    const at::Tensor nchw = all.permute({0, 3, 1, 2}).to(at::kFloat) / 255.0;
    for (int64_t i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "/%06lld.png", static_cast<long long>(i));
      hold::write_image_grid_png(o.out + name, nchw.slice(0, i, i + 1), 1, /*centered=*/false, /*padding=*/0);
    }
  } else {
    hold::write_npz(o.out, {{"arr_0", all}});
  }
  runner.remove_parts();
  std::printf("exported %lld samples: %s\n", static_cast<long long>(n), o.out.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string first, second, images_path, out, split;
  ExtractorOptions extractor;
  CLI::App* score = nullptr;
  CLI::App* stats = nullptr;
  CLI::App* exporter = nullptr;
  ExportOptions export_options;
  return hold::run_app(
      argc, argv, "hold-fid", "Frechet Inception Distance from feature statistics.",
      [&](CLI::App& app, hold::CommonFlags& flags) {
        score = app.add_subcommand("score", "FID between two statistics files, or images and statistics");
        score->add_option("first", first, "statistics file (mu, sigma) or npz of images (with --extractor)")
            ->required();
        score->add_option("second", second, "statistics file or npz of images")->required();
        score->fallthrough();  // --device, --threads, --config of the main app
        score->add_option("--extractor", extractor.path,
                          "TorchScript feature extractor for arguments that hold images");
        score->add_option("--batch", extractor.batch, "images per extractor call")->check(CLI::PositiveNumber);
        exporter =
            app.add_subcommand("export", "draw samples into an npz (arr_0, uint8 NHWC) or a PNG folder; resumable");
        exporter->fallthrough();  // --config, --set, ... of the main app
        exporter->add_option("--ckpt", export_options.ckpt, "checkpoint");
        exporter->add_option("--out", export_options.out, "OUT.npz, or a folder with --format png")->required();
        exporter->add_option("--format", export_options.format, "npz | png")->check(CLI::IsMember({"npz", "png"}));
        exporter->add_option("--batch", export_options.batch, "samples drawn at once")->check(CLI::PositiveNumber);
        flags.add_config_flag(*exporter, "--sampler", "sample.method", hold::join(hold::sampler_names(), " | "));
        flags.add_config_flag(*exporter, "--nfe", "sample.nfe", "score evaluations allowed");
        flags.add_config_flag(*exporter, "--n", "sample_count", "number of samples (50000 for the papers' FID)");
        stats =
            app.add_subcommand("stats", "feature mean and covariance of an npz of images or of a data set (--config)");
        stats->fallthrough();  // --config, --set, --device of the main app
        stats->add_option("images", images_path, "npz with uint8 NHWC `images` or `arr_0`");
        stats->add_option("--split", split, "with --config: the split described (default: data.split)")
            ->check(CLI::IsMember({"train", "test"}));
        stats->add_option("--extractor", extractor.path, "TorchScript feature extractor (.pt)")->required();
        stats->add_option("--out", out, "statistics file written (npz with mu, sigma)")->required();
        stats->add_option("--batch", extractor.batch, "images per extractor call")->check(CLI::PositiveNumber);
        app.require_subcommand(1);
      },
      [&](const hold::CommonFlags& flags) {
        if (exporter->parsed()) {
          if (export_options.format == "png") {
            hold::check_output_dir(export_options.out, "--out");
          } else {
            hold::check_output_file(export_options.out, "--out");
          }
          export_samples(flags.load_config(), flags.config_path, export_options);
          return 0;
        }
        if (stats->parsed()) {
          require_one_source(images_path, flags.config_path);
          hold::check_output_file(out, "--out");
        }
        const hold::RunConfig config = flags.load_config();  // built-in defaults without --config
        extractor.device = hold::resolve_device(config.device);
        if (stats->parsed()) {
          write_stats(images_to_describe(images_path, config.data, split), extractor, out);
          return 0;
        }
        const hold::FeatureStats a = stats_of(first, extractor), b = stats_of(second, extractor);
        if (a.mu.size(0) != b.mu.size(0)) {
          throw hold::UsageError("the statistics have different feature sizes: " + std::to_string(a.mu.size(0)) + " (" +
                                 first + ") and " + std::to_string(b.mu.size(0)) + " (" + second + ")");
        }
        std::printf("fid: %.6f\n", hold::frechet_distance(a, b));
        return 0;
      });
}
