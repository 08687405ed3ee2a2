#include "hold/models/factory.h"

#include "hold/core/error.h"
#include "hold/core/gaussian_mixture.h"
#include "hold/models/eps_score_model.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/models/mlp.h"
#include "hold/models/ncsnpp.h"
#include "hold/objectives/objective.h"
#include "hold/sde/linear_sde.h"

namespace hold {
namespace {

std::shared_ptr<EpsNetwork> make_ncsnpp(const ModelConfig& m, const std::vector<int64_t>& shape, int64_t k,
                                        int64_t out_blocks, uint64_t seed) {
  if (shape.size() != 3) throw ConfigError("model 'ncsnpp' needs images [C, H, W] (model.name)");
  return Ncsnpp(NcsnppOptions(k * shape[0], out_blocks * shape[0], shape[1])
                    .channels(m.channels)
                    .ch_mult(m.ch_mult)
                    .num_res_blocks(m.num_res_blocks)
                    .attn_resolutions(m.attn_resolutions)
                    .dropout(m.dropout)
                    .resamp_with_conv(m.resamp_with_conv)
                    .fir(m.fir)
                    .fir_kernel(m.fir_kernel)
                    .skip_rescale(m.skip_rescale)
                    .resblock_type(resblock_registry().at(m.resblock_type).value)
                    .progressive(output_pyramid_registry().at(m.progressive).value)
                    .progressive_input(input_pyramid_registry().at(m.progressive_input).value)
                    .progressive_combine(pyramid_combine_registry().at(m.progressive_combine).value)
                    .init_scale(m.init_scale)
                    .embedding(time_embedding_registry().at(m.embedding).value)
                    .fourier_scale(m.fourier_scale)
                    .dense(dense_registry().at(m.dense).value)
                    .num_classes(m.num_classes)
                    .seed(seed))
      .ptr();
}

/// out_features: out_blocks · d (a score network) unless given (a classifier's logits).
std::shared_ptr<EpsNetwork> make_mlp(const ModelConfig& m, const std::vector<int64_t>& shape, int64_t k,
                                     int64_t out_blocks, uint64_t seed, int64_t out_features = 0) {
  if (shape.size() != 1) throw ConfigError("model 'mlp' needs vector data, not images (model.name)");
  const int64_t data_dim = shape[0];
  auto embedding = TimeEmbeddingOptions(m.embedding_dim)
                       .kind(time_embedding_registry().at(m.embedding).value)
                       .fourier_scale(m.fourier_scale);
  return Mlp(MlpOptions(k * data_dim, out_features > 0 ? out_features : out_blocks * data_dim)
                 .hidden(m.hidden)
                 .layers(m.layers)
                 .embedding(embedding)
                 .num_classes(out_features > 0 ? 0 : m.num_classes)
                 .seed(seed))
      .ptr();
}

}  // namespace

const Registry<Network>& network_registry() {
  static const Registry<Network> registry(
      "model", "model.name",
      {
          {"mlp", "MLP on the whole state with a time embedding (toy data)", NetworkInput::kVectors,
           [](const ModelConfig& m, const std::vector<int64_t>& shape, int64_t k, int64_t out_blocks, uint64_t seed) {
             return make_mlp(m, shape, k, out_blocks, seed);
           }},
          {"ncsnpp", "NCSN++ U-Net (images; lib/models/ncsnpp.h)", NetworkInput::kImages, make_ncsnpp},
          {"oracle", "the exact score of the data mixture: no network, no training (math.md §6)",
           NetworkInput::kMixture,
           [](const ModelConfig&, const std::vector<int64_t>&, int64_t, int64_t, uint64_t) {
             return std::shared_ptr<EpsNetwork>();
           }},
      });
  return registry;
}

std::shared_ptr<EpsNetwork> make_network(const ModelConfig& model, const std::vector<int64_t>& data_shape,
                                         int64_t num_blocks, int64_t out_blocks, uint64_t seed) {
  return network_registry().at(model.name).make(model, data_shape, num_blocks, out_blocks, seed);
}

std::shared_ptr<EpsNetwork> make_classifier_network(const ModelConfig& model, const std::vector<int64_t>& data_shape,
                                                    int64_t num_blocks, int64_t num_classes, uint64_t seed) {
  if (network_registry().at(model.name).input != NetworkInput::kVectors) {
    throw ConfigError("a classifier is built as an MLP on vector data, not as model '" + model.name + "' (model.name)");
  }
  // The MLP's data dimension times K in, and "blocks" of one logit per class out.
  return make_mlp(model, {data_shape.at(0)}, num_blocks, 1, seed, num_classes);
}

int64_t count_parameters(const EpsNetwork& net) {
  int64_t n = 0;
  for (const auto& p : net.parameters()) {
    if (p.requires_grad()) n += p.numel();
  }
  return n;
}

std::unique_ptr<ScoreModel> make_score_model(const ModelConfig& model, const LinearSde& sde,
                                             const ObjectiveConfig& objective, const GaussianMixture& mixture,
                                             std::shared_ptr<EpsNetwork> net) {
  if (network_registry().at(model.name).input == NetworkInput::kMixture) {
    return std::make_unique<GaussianMixtureOracle>(sde, mixture);
  }
  if (net == nullptr) throw UsageError("model '" + model.name + "' needs a network (model.name)");
  const Objective perturbation(sde, objective);
  return std::make_unique<EpsScoreModel>(std::move(net), sde, perturbation.sigma0(), model.mixed_score,
                                         objective.predicts_all_blocks());
}

}  // namespace hold
