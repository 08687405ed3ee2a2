// FD-FMNIST (docs/evaluation.md): the Fréchet distance of Fashion-MNIST images
// in the penultimate features of the committed classifier
// assets/fd_fmnist/extractor.pt, read through FeatureExtractor as hold-fid
// reads it. Train images against test images are closer than test images
// against themselves with Gaussian noise of sigma 0.1 (pixel scale [0, 1],
// clamped and requantised to uint8 as hold writes images), and the numbers are
// the same when computed again. Subsets keep it to a few seconds: the first
// 3000 images of each split (the measured full-set values are in
// docs/evaluation.md). Skipped where Debian's dataset-fashion-mnist is missing.
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "hold/core/seeds.h"
#include "hold/data/image_readers.h"
#include "hold/io/image_grid.h"
#include "hold/metrics/feature_extractor.h"
#include "hold/metrics/frechet.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

using namespace hold;

namespace {

constexpr int64_t kImages = 3000;

/// Feature statistics of uint8 NHWC images, 500 per extractor call (as hold-fid's --batch).
FeatureStats stats_of(FeatureExtractor& extractor, const at::Tensor& nhwc) {
  std::vector<at::Tensor> features;
  for (int64_t i = 0; i < nhwc.size(0); i += 500) {
    features.push_back(extractor.features(nhwc.slice(0, i, std::min(nhwc.size(0), i + 500))));
  }
  return feature_stats(at::cat(features, 0));
}

/// The first kImages images of a Fashion-MNIST split as uint8 [N, 28, 28, 1].
at::Tensor first_images(const std::string& split) {
  return read_fashion_mnist("", split).images.slice(0, 0, kImages).permute({0, 2, 3, 1}).contiguous();
}

/// nhwc/255 + sigma·z, z ~ N(0, 1) per pixel from a generator seeded `seed`,
/// clamped to [0, 1] and requantised as hold writes images (to_uint8_nhwc).
at::Tensor with_noise(const at::Tensor& nhwc, double sigma, uint64_t seed) {
  const at::Tensor x = nhwc.permute({0, 3, 1, 2}).to(at::kDouble) / 255.0;
  const at::Tensor z = at::randn(x.sizes(), make_generator(seed), at::TensorOptions().dtype(at::kDouble));
  return to_uint8_nhwc((x + sigma * z).clamp(0, 1), /*centered=*/false);
}

struct Distances {
  double train_test, test_noise;
};

Distances fd_fmnist_distances(const at::Tensor& train, const at::Tensor& test) {
  FeatureExtractor extractor(std::string(HOLD_SOURCE_DIR) + "/assets/fd_fmnist/extractor.pt", c10::kCPU);
  const FeatureStats test_stats = stats_of(extractor, test);
  return {frechet_distance(stats_of(extractor, train), test_stats),
          frechet_distance(test_stats, stats_of(extractor, with_noise(test, 0.1, 7)))};
}

}  // namespace

TEST_CASE("FD-FMNIST: train vs test is below test vs test + noise 0.1, reproducibly", "[metrics][fd_fmnist]") {
  if (!std::filesystem::is_directory(kDefaultFashionMnistDir)) {
    WARN("skipped: " << kDefaultFashionMnistDir << " not installed (apt-get install dataset-fashion-mnist)");
    return;
  }
  const at::Tensor train = first_images("train"), test = first_images("test");
  REQUIRE(train.sizes() == at::IntArrayRef({kImages, 28, 28, 1}));
  const Distances first = fd_fmnist_distances(train, test);
  INFO("FD-FMNIST train vs test " << first.train_test << ", test vs test + noise 0.1 " << first.test_noise);
  CHECK(std::isfinite(first.train_test));
  CHECK(first.train_test > 0);
  CHECK(first.train_test < first.test_noise);
  const Distances again = fd_fmnist_distances(train, test);
  CHECK(std::abs(again.train_test - first.train_test) <= 1e-6 * std::max(1.0, first.train_test));
  CHECK(std::abs(again.test_noise - first.test_noise) <= 1e-6 * std::max(1.0, first.test_noise));
}
