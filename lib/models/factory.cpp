#include "hold/models/factory.h"

#include "hold/core/error.h"
#include "hold/data/data_source.h"
#include "hold/data/toy_dataset.h"
#include "hold/io/config.h"
#include "hold/models/eps_score_model.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/models/mlp.h"
#include "hold/models/ncsnpp.h"
#include "hold/objectives/objective.h"
#include "hold/sde/linear_sde.h"

namespace hold {
namespace {

TimeEmbeddingKind embedding_kind(const std::string& name) {
  if (name == "fourier") return TimeEmbeddingKind::kFourier;
  if (name == "sinusoidal") return TimeEmbeddingKind::kSinusoidal;
  throw ConfigError("unknown time embedding '" + name + "', expected fourier or sinusoidal (model.embedding)");
}

std::shared_ptr<EpsNetwork> make_ncsnpp(const RunConfig& config, const std::vector<int64_t>& shape, int64_t k) {
  const ModelConfig& m = config.model;
  if (shape.size() != 3) throw ConfigError("model 'ncsnpp' needs images [C, H, W] (model.name)");
  return Ncsnpp(NcsnppOptions(k * shape[0], shape[0], shape[1])
                    .channels(m.channels)
                    .ch_mult(m.ch_mult)
                    .num_res_blocks(m.num_res_blocks)
                    .attn_resolutions(m.attn_resolutions)
                    .dropout(m.dropout)
                    .resamp_with_conv(m.resamp_with_conv)
                    .fir(m.fir)
                    .fir_kernel(m.fir_kernel)
                    .skip_rescale(m.skip_rescale)
                    .resblock_type(m.resblock_type)
                    .progressive(m.progressive)
                    .progressive_input(m.progressive_input)
                    .progressive_combine(m.progressive_combine)
                    .init_scale(m.init_scale)
                    .embedding(m.embedding)
                    .fourier_scale(m.fourier_scale)
                    .dense(m.dense == "conv" ? DenseImpl::kConv : DenseImpl::kMatmul)
                    .seed(static_cast<uint64_t>(config.seed)))
      .ptr();
}

}  // namespace

std::shared_ptr<EpsNetwork> make_network(const RunConfig& config, const std::vector<int64_t>& shape) {
  const ModelConfig& m = config.model;
  if (m.name == "oracle") return nullptr;
  // The number of blocks without building the SDE: K = 2 for cld, the order for hold.
  const int64_t k = make_sde(config.sde).num_blocks();
  if (m.name == "ncsnpp") return make_ncsnpp(config, shape, k);
  if (m.name != "mlp") throw ConfigError("unknown model '" + m.name + "', expected mlp, ncsnpp or oracle (model.name)");
  if (shape.size() != 1) throw ConfigError("model 'mlp' needs vector data, not images (model.name)");
  const int64_t data_dim = shape[0];
  auto embedding =
      TimeEmbeddingOptions(m.embedding_dim).kind(embedding_kind(m.embedding)).fourier_scale(m.fourier_scale);
  return Mlp(MlpOptions(k * data_dim, data_dim)
                 .hidden(m.hidden)
                 .layers(m.layers)
                 .embedding(embedding)
                 .seed(static_cast<uint64_t>(config.seed)))
      .ptr();
}

std::shared_ptr<EpsNetwork> make_network(const RunConfig& config, int64_t data_dim) {
  return make_network(config, std::vector<int64_t>{data_dim});
}

std::shared_ptr<EpsNetwork> make_network(const RunConfig& config) {
  return make_network(config, data_shape(config.data));
}

int64_t count_parameters(const EpsNetwork& net) {
  int64_t n = 0;
  for (const auto& p : net.parameters()) {
    if (p.requires_grad()) n += p.numel();
  }
  return n;
}

std::unique_ptr<ScoreModel> make_score_model(const RunConfig& config, const LinearSde& sde,
                                             std::shared_ptr<EpsNetwork> net) {
  if (config.model.name == "oracle") {
    GaussianMixture mixture = config.data.mixture;
    if (mixture.num_components() == 0 && config.data.name == "gmm1d") mixture = default_gmm1d_mixture();
    return std::make_unique<GaussianMixtureOracle>(sde, mixture);
  }
  if (net == nullptr) throw UsageError("model '" + config.model.name + "' needs a network (model.name)");
  const Objective objective(sde, config.objective);
  return std::make_unique<EpsScoreModel>(std::move(net), sde, objective.sigma0(), config.model.mixed_score);
}

}  // namespace hold
