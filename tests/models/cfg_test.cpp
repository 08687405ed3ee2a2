// Classifier-free guidance (math.md §10.1): for the oracle, (1 + w) s_C − w s
// is classifier guidance at scale 1 + w; a class-conditional MLP or NCSN++
// keeps an unconditional network's weights and computes ∅ when given no labels.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <string>

#include "hold/models/cfg_score_model.h"
#include "hold/models/gaussian_mixture_oracle.h"
#include "hold/models/guided_score_model.h"
#include "hold/models/mlp.h"
#include "hold/models/ncsnpp.h"
#include "hold/models/oracle_classifier.h"
#include "support/five_modes.h"
#include "support/preset.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {

TEST_CASE("The oracle's classifier-free guidance at w is classifier guidance at 1 + w; w = 0 is the class score",
          "[models][oracle][classes]") {
  const GaussianMixture m = test::five_mode_mixture();
  for (const std::string name : {"vp", "cld", "hold"}) {
    CAPTURE(name);
    const LinearSde sde = preset(name);
    GaussianMixtureOracle oracle(sde, m);
    GaussianMixtureOracle class_score(sde, m.component(4));
    OracleClassifier classifier(oracle);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
    const at::Tensor u = sde.prior_sample({64, 2 * sde.num_blocks()}, gen, at::kDouble);
    for (double time : {0.05, 0.5}) {
      const at::Tensor t = at::full({64}, time, at::kDouble);
      for (double w : {0.5, 2.0}) {
        CAPTURE(time, w);
        ClassifierFreeGuidedModel cfg(class_score, oracle, w);
        ClassifierGuidedModel guided(oracle, classifier, 4, 1.0 + w);
        const at::Tensor a = cfg.score(u, t), b = guided.score(u, t);
        CHECK((a - b).abs().max().item<double>() <= 1e-8 * std::max(1.0, b.abs().max().item<double>()));
      }
      ClassifierFreeGuidedModel unguided(class_score, oracle, 0.0);
      CHECK(at::equal(unguided.score(u, t), class_score.score(u, t)));
    }
  }
}

namespace {

/// A class-conditional network of 5 classes against the unconditional one of
/// the same options: every other parameter equal, no labels = ∅, a label
/// changes the output, and the unconditional one refuses labels.
template <typename Net>
void check_conditional_network(Net plain, Net conditional, const at::Tensor& u) {
  const auto conditional_params = conditional->named_parameters();
  for (const auto& p : plain->named_parameters()) CHECK(at::equal(p.value(), conditional_params[p.key()]));
  CHECK(conditional_params.contains("label_embed.weight"));
  CHECK(conditional_params.size() == plain->named_parameters().size() + 1);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  const int64_t n = u.size(0);
  const at::Tensor t = at::rand({n}, gen).mul(0.9).add(0.05);
  const at::Tensor none = at::full({n}, 5, at::kLong);
  CHECK(at::equal(conditional->forward(u, t), conditional->forward_labelled(u, t, none)));
  CHECK(at::equal(plain->forward(u, t), plain->forward_labelled(u, t, {})));
  const at::Tensor one = conditional->forward_labelled(u, t, at::full({n}, 1, at::kLong));
  CHECK_FALSE(at::allclose(one, conditional->forward(u, t)));
  // Labels act per sample: a batch of mixed labels is the rows of single-label batches.
  const at::Tensor mixed = at::arange(n, at::kLong).remainder(6);
  const at::Tensor rows = conditional->forward_labelled(u, t, mixed);
  for (int64_t i : {int64_t{0}, n - 1}) {
    const at::Tensor single = conditional->forward_labelled(u, t, at::full({n}, mixed[i].item<int64_t>(), at::kLong));
    CHECK(at::allclose(rows[i], single[i], 1e-5, 1e-6));
  }
  CHECK_THROWS(plain->forward_labelled(u, t, none));
}

}  // namespace

TEST_CASE("A class-conditional MLP: the unconditional weights unchanged, no labels = the null label",
          "[models][classes]") {
  const auto options = MlpOptions(6, 2).hidden(16).layers(3).seed(5);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  check_conditional_network(Mlp(options), Mlp(MlpOptions(options).num_classes(5)), at::randn({8, 6}, gen));
}

TEST_CASE("A class-conditional NCSN++: the unconditional weights unchanged, no labels = the null label",
          "[models][classes]") {
  // init_scale 1: a non-degenerate output layer, so the label visibly changes the output.
  const auto options = NcsnppOptions(3, 1, 8)
                           .channels(16)
                           .ch_mult({1, 2})
                           .num_res_blocks(1)
                           .attn_resolutions({4})
                           .dropout(0.0)
                           .init_scale(1.0)
                           .seed(3);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  check_conditional_network(Ncsnpp(options), Ncsnpp(NcsnppOptions(options).num_classes(5)),
                            at::randn({4, 3, 8, 8}, gen));
}

}  // namespace hold
