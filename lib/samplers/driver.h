#pragma once
// The sampler driver (style.md §5.2, math.md §4), internal to lib/samplers.
// Odeint's split: the driver owns the grid walk, the NFE budget, callbacks, the
// final denoising step and extracting the x block; a fixed-grid *method* is
// {name, nfe_per_step, prepare}, where prepare computes every coefficient of a
// grid once, before the loop, and returns the step. The adaptive ODE solver is
// its own driver (ode_adaptive.cpp) reusing the same start/finish helpers.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hold/models/score_model.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/block_map.h"

namespace hold {
class LinearSde;
}

namespace hold::detail {

/// Fills z (any shape, contiguous) with independent N(0, 1) draws. The default
/// draws from the run's generator; tests inject deterministic noise to
/// propagate an output law exactly (k-diffusion's pluggable noise sampler).
using NoiseSource = std::function<void(const at::Tensor& z)>;
NoiseSource generator_noise(at::Generator gen);

class StateConstraint;

/// Everything a method needs to know about the run.
struct SamplerContext {
  const LinearSde& sde;
  CountingScoreModel& model;  ///< every score evaluation goes through here (NFE)
  const SamplerOptions& options;
  NoiseSource noise;
  std::vector<int64_t> state_shape;  ///< [N, K·C, ...]
  int64_t num_blocks = 1;            ///< K
  int64_t block_numel = 1;           ///< C·H·W
  at::TensorOptions state_options;   ///< dtype (options.dtype) and device of the state
  /// Applied by the drivers before the first step, after every step and at
  /// the end (inpainting, inpaint.h); nullptr: none.
  StateConstraint* constraint = nullptr;

  int64_t batch() const { return state_shape[0]; }
  /// Shape of one block, [N, C, ...].
  std::vector<int64_t> block_shape() const;
  /// [N] float64 times on the state's device, for the model.
  at::Tensor times(double t) const;
  /// (m ⊗ I) for this state layout.
  BlockMap block_map(const Mat& m) const;
};

/// Step i of a grid: from grid[i] to grid[i+1]; returns the new state (the
/// input may be updated in place).
using GridStepper = std::function<at::Tensor(int64_t i, const at::Tensor& u)>;

struct FixedGridMethod {
  std::string name;
  int nfe_per_step = 1;
  /// Computes every per-step coefficient of the grid (run once, before the loop).
  std::function<GridStepper(const SamplerContext&, const std::vector<double>& grid)> prepare;
  /// The grid walked when sample.grid is auto.
  GridKind grid = GridKind::kQuadratic;
  /// The forward times of the states step i returns, for i = 0 … N−1; empty:
  /// the grid's, grid[i+1] (lt's states lie at the midpoints between steps).
  std::function<std::vector<double>(const std::vector<double>& grid)> state_times = nullptr;
};

/// A constraint on the state, applied by both drivers (inpainting: the known
/// coordinates' K-blocks follow the forward process; inpaint.cpp). Every call
/// is tensor work on the state's device (no host sync); K×K factors are
/// computed in float64 by `prepare` (fixed grid: all of them, once) or per
/// accepted step (adaptive ode).
class StateConstraint {
 public:
  virtual ~StateConstraint() = default;
  /// Before the run: t_start and the times of the states after each step
  /// (fixed grid; empty for the adaptive ode, whose times come as it goes).
  virtual void prepare(const SamplerContext& ctx, double t_start, const std::vector<double>& state_times) = 0;
  /// The state at t_start, before the first step.
  virtual at::Tensor start(const SamplerContext& ctx, at::Tensor u) = 0;
  /// The state after a step, at forward time t.
  virtual at::Tensor after_step(const SamplerContext& ctx, at::Tensor u, double t) = 0;
  /// The final state (after the denoising step if any): the known x exactly.
  virtual at::Tensor finish(const SamplerContext& ctx, at::Tensor u) = 0;
  /// Resampling (RePaint): every grid step is taken this many times; between
  /// two takes `renoise` carries the state back up to the step's start.
  virtual int64_t repeats() const { return 1; }
  /// The state after step i, carried by the forward kernel back to the time
  /// of the state before it (the known coordinates: their state there).
  virtual at::Tensor renoise(const SamplerContext& ctx, at::Tensor u, int64_t i) { return u; }
};

FixedGridMethod em_method();
FixedGridMethod lt_method();
FixedGridMethod ei_method();
FixedGridMethod dpmpp2m_method();
FixedGridMethod edm_method();
FixedGridMethod pc_method();
/// Fixed-step probability-flow ODE with the named tableau (euler | heun | rk4).
FixedGridMethod ode_fixed_method(const std::string& solver);

/// One Euler–Maruyama step of the reverse SDE from t over h > 0 (math.md §4):
///   u ← (I − hβF) u;  u_K += h g² s(u, t) + sqrt(h g²) z.
/// The denoising step is the same with no noise.
struct ReverseEuler {
  BlockMap linear;          ///< I − hβ(t)F
  double score_coef = 0.0;  ///< h g²(t)
  double noise_coef = 0.0;  ///< sqrt(h g²(t))
  at::Tensor times;         ///< [N] = t
};
ReverseEuler reverse_euler(const SamplerContext& ctx, double t, double h);
/// z: noise of one block ([N, C, ...]); undefined for the noise-free mean step.
at::Tensor reverse_euler_step(const SamplerContext& ctx, const ReverseEuler& c, const at::Tensor& u,
                              const at::Tensor& z);

/// A single-block SDE's marginal at t: u_t = α x₀ + σ z (the sampler's Σ₀ = 0),
/// so E[x₀ | u] = (u + σ² s) / α. The K = 1 solvers (dpmpp2m, edm) need only
/// this; for K ≥ 2 it is the x block's (α = Φ_xx, σ² = Σ_xx: the log-SNR grids).
struct ScalarMarginal {
  double alpha = 1.0;
  double sigma = 0.0;
};
ScalarMarginal scalar_marginal(const LinearSde& sde, double t);
/// ConfigError naming sample.method unless K = 1 (the K = 1 samplers' check).
void require_single_block(const LinearSde& sde, const std::string& method, const std::string& instead);

/// Grid steps the NFE budget allows for a method with m evaluations per step:
/// ⌊(nfe − 1)/m⌋ with the denoising step, ⌊nfe/m⌋ without (math.md §4).
int64_t steps_for_budget(const SamplerOptions& options, int nfe_per_step);

/// Walks the grid from t_start to t_s with the method, then finishes.
SampleResult run_fixed_grid(const SamplerContext& ctx, const FixedGridMethod& method, at::Tensor u, double t_start,
                            const StepCallback& callback);
/// Adaptive Dormand–Prince on the probability-flow ODE from t_start to t_s, then finishes.
SampleResult run_adaptive_ode(const SamplerContext& ctx, at::Tensor u, double t_start, const StepCallback& callback);
/// The end of every run: the denoising step (if enabled, 1 NFE, reported to the
/// callback as step `step + 1` of n_steps), then the x block and the NFE count.
SampleResult finish(const SamplerContext& ctx, at::Tensor u, int64_t steps, int64_t n_steps,
                    const StepCallback& callback);

/// sample_from with an explicit noise source: validates the options, runs
/// under NoGradGuard with the model wrapped in a CountingScoreModel, and
/// dispatches on options.method. u0 is not modified. A constraint, if given,
/// is applied to the state throughout (its draws come from `noise` too).
SampleResult run_sampler(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options, const at::Tensor& u0,
                         double t_start, const NoiseSource& noise, const StepCallback& callback = {},
                         StateConstraint* constraint = nullptr);

}  // namespace hold::detail
