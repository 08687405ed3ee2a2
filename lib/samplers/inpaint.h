#pragma once
// Inpainting and colorization with any sampler and any SDE (math.md §10;
// issue 14). Some data coordinates of every sample are known (mask 1); the
// forward SDE never mixes coordinates, so at every time t the whole K-block
// state of a known coordinate i has the law
//   u_t,i ~ N(Φ(t) [x_i; 0; …], Σ_t),   Σ_t = Φ Σ₀ Φᵀ + Q,
// Σ₀ = diag(0, εΣ∞_22, …): the aux blocks' initial law every training
// objective draws from. The driver (driver.h, StateConstraint) imposes it on
// the known coordinates before the first step, after every step (at the time
// the step's state has: lt's lie at the midpoints) and at the end, where the
// known x is copied exactly. Two methods (sample.inpaint_method):
//   path     the known coordinates follow one forward trajectory: the exact
//            chain x → u_t → … → u_T of the forward SDE, read at each
//            state's time. It is drawn from T downwards, each state from its
//            Gaussian conditional given the later one and x (the same joint
//            law as drawing the Markov chain upwards once at the start, with
//            no stored path, and at any times: the adaptive ode's too),
//            refreshed by sample.inpaint_refresh: each state keeps
//            correlation ρ = exp(−λ/N) with the chain (its law unchanged),
//            which frees samples caught between modes (math.md §10);
//   replace  score SDE's replacement, generalised: a fresh independent draw
//            from the law above at each state's time.
// The K×K factors are float64, computed once per grid time (per accepted
// step for the adaptive ode); a step adds tensor work on the state's device
// only (no host sync). Colorization: an orthogonal C×C channel transform M
// (first row the grey axis (1,1,1)/√3) acts on every block (it commutes with
// F ⊗ I: it mixes channels, F mixes blocks); the known data and the mask
// live in the transformed space, the sampler and the score in data space.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/util/ArrayRef.h>

#include <cstdint>

#include "hold/core/registry.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/mat.h"

namespace hold {

class LinearSde;
class ScoreModel;

enum class InpaintMethod { kPath, kReplace };
/// sample.inpaint_method: path | replace.
const Registry<Choice<InpaintMethod>>& inpaint_method_registry();

/// What is known of the samples.
struct KnownData {
  /// The known values, [1 or n, C, ...] with the data's per-sample shape (in
  /// the transformed space when `channels` is set); values where the mask is
  /// 0 are ignored.
  at::Tensor x;
  /// 1 = known, 0 = unknown: the shape of x, or broadcastable to it (every
  /// dimension 1 or x's; e.g. [1, 1, H, W] for all channels of a pixel).
  at::Tensor mask;
  /// Optional orthogonal C×C matrix acting on the channels (dim 1) of every
  /// block: x and mask are then in the space M·(data). 0×0: none.
  Mat channels;
};

/// UsageError ("… (inpaint)") unless x is [1 or n, data_shape...] and
/// finite where known, the mask broadcasts to it with values 0 or 1, and
/// `channels` is 0×0 or an orthogonal C×C matrix (M Mᵀ = I to 1e-9).
void check_known_data(const KnownData& known, at::IntArrayRef data_shape, int64_t n);

/// hold::sample with the known coordinates imposed by options.inpaint_method:
/// n samples of per-sample shape data_shape whose known region equals
/// known.x exactly (in the transformed space for colorization). Randomness:
/// the prior, then the known coordinates' state at T, then per step the
/// method's draws and the constraint's, all from gen.
SampleResult sample_inpaint(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options,
                            const KnownData& known, at::IntArrayRef data_shape, int64_t n, at::Generator gen,
                            const StepCallback& callback = {});

/// The same from a given state u0 at forward time t_start ≤ T.
SampleResult sample_inpaint_from(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options,
                                 const KnownData& known, const at::Tensor& u0, double t_start, at::Generator gen,
                                 const StepCallback& callback = {});

/// Score SDE's colour decoupling: the orthogonal 3×3 matrix with rows
/// (1, 1, 1)/√3 (grey), (−2, 1, 1)/√6 and (0, 1, −1)/√2.
Mat colour_decoupling();
/// out_c = Σ_j m_cj x_j over dim 1 of x [N, C, ...] (C = m's columns).
at::Tensor apply_channels(const Mat& m, const at::Tensor& x);
/// Colorization's known data: images [1 or n, 3, ...] (data scale) in the
/// decoupled space, the grey channel known.
KnownData colorization_target(const at::Tensor& rgb);

}  // namespace hold
