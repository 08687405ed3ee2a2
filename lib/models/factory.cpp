#include "models/factory.h"

#include "core/error.h"
#include "data/toy_dataset.h"
#include "io/config.h"
#include "models/eps_score_model.h"
#include "models/gaussian_mixture_oracle.h"
#include "models/mlp.h"
#include "objectives/objective.h"
#include "sde/linear_sde.h"

namespace hold {
namespace {

TimeEmbeddingKind embedding_kind(const std::string& name) {
  if (name == "fourier") return TimeEmbeddingKind::kFourier;
  if (name == "sinusoidal") return TimeEmbeddingKind::kSinusoidal;
  throw ConfigError("unknown time embedding '" + name + "', expected fourier or sinusoidal (model.embedding)");
}

}  // namespace

std::shared_ptr<EpsNetwork> make_network(const RunConfig& config, int64_t data_dim) {
  const ModelConfig& m = config.model;
  if (m.name == "oracle") return nullptr;
  if (m.name != "mlp") throw ConfigError("unknown model '" + m.name + "', expected mlp or oracle (model.name)");
  const SdeConfig& sde = config.sde;
  // The number of blocks without building the SDE: K = 2 for cld, the order for hold.
  const int64_t k = make_sde(sde).num_blocks();
  auto embedding = TimeEmbeddingOptions(m.embedding_dim)
                       .kind(embedding_kind(m.embedding))
                       .fourier_scale(m.fourier_scale);
  return Mlp(MlpOptions(k * data_dim, data_dim)
                 .hidden(m.hidden)
                 .layers(m.layers)
                 .embedding(embedding)
                 .seed(static_cast<uint64_t>(config.seed)))
      .ptr();
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
  return std::make_unique<EpsScoreModel>(std::move(net), sde, objective.sigma0(),
                                         config.model.mixed_score);
}

}  // namespace hold
