// The data set registry and the checks of the `data:` section.
#include "hold/data/data_config.h"

#include <cmath>

#include "hold/core/error.h"
#include "hold/core/format.h"
#include "hold/data/image_readers.h"
#include "hold/data/toy_dataset.h"

namespace hold {
namespace {

void require(bool ok, const char* key, const std::string& what) { require_key(ok, "data", key, what); }

std::unique_ptr<ToyDataset> make_gmm1d(const DataConfig& d) {
  return make_mixture_dataset(d.mixture.weights.empty() ? default_gmm1d_mixture() : d.mixture);
}

DataSet toy(std::string name, std::string help, std::function<std::unique_ptr<ToyDataset>(const DataConfig&)> make) {
  return DataSet{std::move(name), std::move(help), DataKind::kToy, std::move(make), {}, 0};
}

/// num_classes: how many classes the set's labels name (0: none).
DataSet images(std::string name, std::string help, int64_t num_classes,
               std::function<ImageArray(const DataConfig&)> read) {
  return DataSet{std::move(name), std::move(help), DataKind::kImage, {}, std::move(read), num_classes};
}

/// Fills the gmm1d default, broadcasts per-component scalar stds, checks the
/// mixture is complete and of the data set's dimension.
void resolve_mixture(DataConfig& d, std::vector<std::string>& warnings) {
  GaussianMixture& m = d.mixture;
  // An empty list counts as not given (to_yaml writes [] for swissroll).
  const bool has[] = {!m.weights.empty(), !m.means.empty(), !m.stds.empty()};
  const char* parts[] = {"weights", "means", "stds"};
  if (!has[0] && !has[1] && !has[2]) {
    if (d.name == "gmm1d") m = default_gmm1d_mixture();
    require(d.name != "gmm", "name", "data set 'gmm' needs data.weights, data.means and data.stds");
    return;
  }
  for (int i = 0; i < 3; ++i) {
    require(has[i], parts[i], "a mixture needs data.weights, data.means and data.stds together");
  }
  const size_t dim = m.means.empty() ? 0 : m.means[0].size();
  for (auto& s : m.stds) {
    if (s.size() == 1 && dim > 1) s.assign(dim, s[0]);  // one std per component: isotropic
  }
  m.validate("data");
  if (d.name == "gmm1d") {
    require(m.dim() == 1, "means", "data set 'gmm1d' needs a 1-D mixture, got dimension " + std::to_string(m.dim()));
  } else if (d.name == "swissroll" || d.name == "checkerboard") {
    require(m.dim() == 2, "means",
            "data set '" + d.name + "' is 2-D, got a mixture of dimension " + std::to_string(m.dim()));
    warnings.push_back("the mixture (data.weights/means/stds) is not used by data set '" + d.name + "' (data.means)");
  }
}

void validate_image_data(const DataConfig& d) {
  check_choice(d.split, {"train", "test"}, "split", "data.split");
  require(d.channels == 1 || d.channels == 3, "channels", "channels must be 1 or 3, got " + std::to_string(d.channels));
  require(d.pad >= 0, "pad", "pad must be >= 0, got " + std::to_string(d.pad));
  require(d.prefetch >= 0, "prefetch", "prefetch must be >= 0, got " + std::to_string(d.prefetch));
  require(d.image_size >= 0, "image_size", "image_size must be >= 0, got " + std::to_string(d.image_size));
  require(d.name != "image_folder" || d.image_size > 0, "image_size",
          "data set 'image_folder' needs data.image_size (the side images are resized to)");
  require(d.name != "image_folder" || !d.path.empty(), "path", "data set 'image_folder' needs data.path");
  require(d.name != "mnist" || !d.path.empty(), "path", "data set 'mnist' needs data.path (the IDX files' folder)");
  require(d.name != "cifar10" || !d.path.empty(), "path",
          "data set 'cifar10' needs data.path (the folder cifar-10-batches-bin or its parent)");
}

}  // namespace

const Registry<DataSet>& data_set_registry() {
  static const Registry<DataSet> registry(
      "data set", "data.name",
      {
          toy("swissroll", "2-D multi swiss roll: five rolls (data.noise, data.scale)",
              [](const DataConfig& d) { return make_swissroll_dataset(d.noise, d.scale); }),
          toy("gmm1d", "1-D three-mode Gaussian mixture (or the data.weights/means/stds given)", make_gmm1d),
          toy("checkerboard", "2-D checkerboard (FFJORD's): 8 filled cells of a 4×4 board over [−4, 4]²",
              [](const DataConfig&) { return make_checkerboard_dataset(); }),
          toy("gmm", "any axis-aligned Gaussian mixture: data.weights, data.means, data.stds",
              [](const DataConfig& d) { return make_mixture_dataset(d.mixture); }),
          images("cifar10", "CIFAR-10, binary version (data.path)", 10,
                 [](const DataConfig& d) { return read_cifar10(d.path, d.split); }),
          images("mnist", "MNIST IDX files, plain or gzipped (data.path)", 10,
                 [](const DataConfig& d) { return read_mnist(d.path, d.split); }),
          images("fashion_mnist", "Fashion-MNIST IDX files (default: Debian's dataset-fashion-mnist)", 10,
                 [](const DataConfig& d) { return read_fashion_mnist(d.path, d.split); }),
          images("image_folder", "PNG/JPEG files under data.path, cropped and resized to data.image_size", 0,
                 [](const DataConfig& d) { return read_image_folder(d.path, d.image_size, d.channels); }),
      });
  return registry;
}

bool is_image_data(const std::string& name) {
  const DataSet* set = data_set_registry().find(name);
  return set != nullptr && set->kind == DataKind::kImage;
}

void DataConfig::resolve(std::vector<std::string>& warnings) {
  const DataSet& set = data_set_registry().at(name);
  if (set.kind == DataKind::kImage) {
    validate_image_data(*this);
    return;
  }
  require(noise >= 0 && std::isfinite(noise), "noise", "noise must be >= 0, got " + fmt(noise));
  require(scale > 0 && std::isfinite(scale), "scale", "scale must be positive, got " + fmt(scale));
  resolve_mixture(*this, warnings);
}

}  // namespace hold
