// hold-fid: Fréchet Inception Distance from feature statistics.
//   hold-fid stats IMAGES.npz --extractor FILE.pt --out STATS.npz [--batch B]
//   hold-fid score A.npz B.npz
// IMAGES.npz holds uint8 NHWC images as `images` (hold-sample) or `arr_0`
// (the common evaluators' format); the extractor follows the calling
// convention of metrics/feature_extractor.h. Statistics files hold `mu` [D]
// and `sigma` [D, D] (float64; float32 accepted), the format of pytorch-fid's
// precomputed statistics. score prints `fid: <d²>` (FID is the squared
// Fréchet distance, computed in float64 with symmetric square roots).
// Still to come (issue 4): `export` (resumable sample export).
#include <ATen/ATen.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "core/error.h"
#include "io/cli.h"
#include "io/npz.h"
#include "metrics/feature_extractor.h"
#include "metrics/frechet.h"
#include "io/progress.h"

namespace {

hold::FeatureStats read_stats(const std::string& path) {
  const auto arrays = hold::read_npz(path);
  hold::FeatureStats stats;
  for (const char* key : {"mu", "sigma"}) {
    const auto it = arrays.find(key);
    if (it == arrays.end()) throw hold::UsageError(std::string("no array '") + key + "' in the statistics file (" + path + ")");
    (std::string(key) == "mu" ? stats.mu : stats.sigma) = it->second.to(at::kDouble);
  }
  if (stats.mu.dim() != 1 || stats.sigma.dim() != 2 || stats.sigma.size(0) != stats.mu.size(0) ||
      stats.sigma.size(1) != stats.mu.size(0)) {
    throw hold::UsageError("statistics need mu [D] and sigma [D, D] (" + path + ")");
  }
  return stats;
}

at::Tensor read_images(const std::string& path) {
  const auto arrays = hold::read_npz(path);
  for (const char* key : {"images", "arr_0"}) {
    const auto it = arrays.find(key);
    if (it != arrays.end()) return it->second;
  }
  throw hold::UsageError("no uint8 image array 'images' or 'arr_0' in (" + path + ")");
}

void write_stats(const std::string& images_path, const std::string& extractor_path, const std::string& out,
                 int64_t batch) {
  const at::Tensor images = read_images(images_path);
  hold::FeatureExtractor extractor(extractor_path, c10::Device(c10::kCPU));
  const int64_t n = images.size(0);
  hold::ProgressBar bar("features", n);
  std::vector<at::Tensor> features;
  for (int64_t done = 0; done < n; done += batch) {
    features.push_back(extractor.features(images.slice(0, done, std::min(n, done + batch))));
    bar.update(std::min(n, done + batch));
  }
  bar.finish();
  const hold::FeatureStats stats = hold::feature_stats(at::cat(features, 0));
  hold::write_npz(out, {{"mu", stats.mu}, {"sigma", stats.sigma}});
  std::printf("stats: %s (%lld images, %lld features)\n", out.c_str(), static_cast<long long>(n),
              static_cast<long long>(stats.mu.size(0)));
}

}  // namespace

int main(int argc, char** argv) {
  std::string first, second, images_path, extractor_path, out;
  int64_t batch = 100;
  CLI::App* score = nullptr;
  CLI::App* stats = nullptr;
  return hold::run_app(
      argc, argv, "hold-fid", "Frechet Inception Distance from feature statistics.",
      [&](CLI::App& app, hold::CommonFlags&) {
        score = app.add_subcommand("score", "FID between two statistics files (npz with mu, sigma)");
        score->add_option("first", first, "statistics file")->required();
        score->add_option("second", second, "statistics file")->required();
        stats = app.add_subcommand("stats", "feature mean and covariance of an npz of uint8 NHWC images");
        stats->add_option("images", images_path, "npz with `images` or `arr_0`")->required();
        stats->add_option("--extractor", extractor_path, "TorchScript feature extractor (.pt)")->required();
        stats->add_option("--out", out, "statistics file written (npz with mu, sigma)")->required();
        stats->add_option("--batch", batch, "images per extractor call")->check(CLI::PositiveNumber);
        app.require_subcommand(1);
      },
      [&](const hold::CommonFlags&) {
        if (stats->parsed()) {
          write_stats(images_path, extractor_path, out, batch);
          return 0;
        }
        const hold::FeatureStats a = read_stats(first), b = read_stats(second);
        if (a.mu.size(0) != b.mu.size(0)) {
          throw hold::UsageError("the statistics have different feature sizes: " + std::to_string(a.mu.size(0)) +
                                 " (" + first + ") and " + std::to_string(b.mu.size(0)) + " (" + second + ")");
        }
        std::printf("fid: %.6f\n", hold::frechet_distance(a, b));
        return 0;
      });
}
