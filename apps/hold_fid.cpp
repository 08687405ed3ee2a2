// hold-fid: Fréchet Inception Distance from feature statistics.
//   hold-fid score A.npz B.npz
// A and B hold `mu` [D] and `sigma` [D, D] (float32 or float64), the format of
// pytorch-fid's precomputed statistics. Prints `fid: <d²>` (FID is the squared
// Fréchet distance, computed in float64 with symmetric square roots).
// Still to come (issue 4): `export` (samples for external FID tools) and
// `stats` (statistics through a TorchScript feature extractor).
#include <ATen/ATen.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "core/error.h"
#include "io/cli.h"
#include "io/npz.h"
#include "metrics/frechet.h"

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

}  // namespace

int main(int argc, char** argv) {
  std::string first, second;
  CLI::App* score = nullptr;
  return hold::run_app(
      argc, argv, "hold-fid", "Frechet Inception Distance from feature statistics.",
      [&](CLI::App& app, hold::CommonFlags&) {
        score = app.add_subcommand("score", "FID between two statistics files (npz with mu, sigma)");
        score->add_option("first", first, "statistics file")->required();
        score->add_option("second", second, "statistics file")->required();
        app.require_subcommand(1);
      },
      [&](const hold::CommonFlags&) {
        const hold::FeatureStats a = read_stats(first), b = read_stats(second);
        if (a.mu.size(0) != b.mu.size(0)) {
          throw hold::UsageError("the statistics have different feature sizes: " + std::to_string(a.mu.size(0)) +
                                 " (" + first + ") and " + std::to_string(b.mu.size(0)) + " (" + second + ")");
        }
        std::printf("fid: %.6f\n", hold::frechet_distance(a, b));
        return 0;
      });
}
