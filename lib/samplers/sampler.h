#pragma once
// The public sampler interface (math.md §4; style.md §5.2). One signature for
// every method, dispatched by name through a registry:
//   em   Euler–Maruyama on the reverse SDE
//   lt   Lie–Trotter / Strang splitting (SSCS for CLD)
//   pc   predictor–corrector (K = 1 only)
//   ode  probability-flow ODE: rk45 (adaptive Dormand–Prince), euler, heun, rk4
//   ei   exponential integrator on the probability-flow ODE (frames x, l, r)
//   dpmpp2m  DPM-Solver++ 2M, logSNR steps (K = 1)
//   edm  Karras et al.'s σ schedule and Heun steps (K = 1)
// Every run: draw the prior at T, walk the time grid, finish with the
// denoising step (1 NFE) and return the x block.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hold/core/registry.h"

namespace hold {

class LinearSde;
class ScoreModel;

/// The time grids (math.md §4): uniform and quadratic in t; gDDIM's, uniform
/// in √t; two in the x block's log-SNR λ(t) = log(Φ_xx / √Σ_xx): uniform in λ
/// (DPM-Solver's) and Karras et al.'s ρ = 7 spacing of σ = e^{−λ}; auto: the
/// sampler's own (quadratic; logsnr for dpmpp2m, karras for edm).
enum class GridKind { kUniform, kQuadratic, kGddim, kLogSnr, kKarras, kAuto };

/// sample.grid: uniform | quadratic | gddim | logsnr | karras | auto.
const Registry<Choice<GridKind>>& grid_registry();
/// The grid's sample.grid name ("quadratic").
const std::string& grid_name(GridKind kind);

/// The quantity the ei sampler extrapolates (math.md §9).
enum class EiFrame { kData, kCholesky, kR };
/// sample.frame: x | l | r.
const Registry<Choice<EiFrame>>& ei_frame_registry();

struct SamplerOptions {
  /// em | lt | pc | ode | ei | dpmpp2m | edm
  std::string method = "lt";
  /// Score evaluations allowed, the denoising step included (math.md §4).
  int64_t nfe = 150;
  /// Time grid (GridKind); auto: the sampler's own.
  GridKind grid = GridKind::kAuto;
  /// Reverse time ends at t_s (then the denoising step to 0).
  double t_s = 1e-3;
  /// Finish with the denoising step (1 NFE).
  bool denoise = true;
  /// ode only: rk45 | euler | heun | rk4.
  std::string ode_solver = "rk45";
  /// rk45 tolerances (1e-3 is enough for sampling).
  double atol = 1e-3;
  double rtol = 1e-3;
  /// pc corrector signal-to-noise ratio; ≤ 0: 0.16 for ve, 0.01 otherwise.
  double snr = 0.0;
  /// ei: order of the x̂ extrapolation, 0…3; −1: the preset's default
  /// (2 for K ≤ 2, 1 for K ≥ 3; math.md §9).
  int64_t order = -1;
  /// ei: x variance v of the frame's Σ₀ (0: x̂ = E[x₀ | u], data prediction;
  /// the data's variance makes order 0 exact for Gaussian data).
  double frame_var = 0.0;
  /// ei: the frame of the extrapolated quantity: x (x̂ = E[x₀ | u], the
  /// default), l (the last block's ε = −ℓ s_K, linear part F) or r (gDDIM's
  /// ε_R of every block; needs the full-state score; math.md §9).
  std::string frame = "x";
  /// ei, frame x: the stochastic variant's η ∈ [0, 1] (gDDIM Prop. 6; 0: the
  /// probability-flow ODE, 1: the reverse SDE; math.md §9.5).
  double eta = 0.0;
  /// Inpainting and colorization (inpaint.h): how the known coordinates'
  /// K-blocks are imposed, path | replace (inpaint_method_registry()).
  std::string inpaint_method = "path";
  /// Inpainting: every step is taken this many times (RePaint's resampling:
  /// re-noised back to the step's start between takes; NFE per step × r).
  /// Memoryless fixed-grid samplers only (not ei, dpmpp2m, ode rk45).
  int64_t inpaint_resample = 1;
  /// Inpainting with path: λ ≥ 0, how much the known coordinates' trajectory
  /// is refreshed: each state keeps correlation exp(−λ/N) with the path (N
  /// states), e^−λ over the whole grid; 0 is the pure forward trajectory.
  /// Measured on the five-mode oracle (math.md §10): the default lets
  /// samples caught between modes leave without replacement's bias.
  double inpaint_refresh = 8.0;
  /// dtype of the state (float32; float64 for exact tests).
  at::ScalarType dtype = at::kFloat;
  /// Where the state lives: the model's device (set by the apps from the
  /// run's `device`; not a config key of its own). Draws stay on the CPU.
  at::Device device = at::kCPU;

  /// Throws ConfigError naming "sample.<key>" for bad values or an impossible
  /// combination with the SDE (pc with K ≥ 2, lt with ve/subvp, nfe too small).
  void validate(const LinearSde& sde) const;
  /// The grid `method` walks when grid is auto; kAuto for the adaptive ode,
  /// which walks none.
  GridKind own_grid() const;
};

/// Passed to the callback after each step (and after the denoising step).
struct StepInfo {
  int64_t step;         ///< 1-based index of the completed step
  int64_t n_steps;      ///< planned steps (adaptive: an estimate), denoising included
  double t;             ///< forward time at the start of the step
  double t_next;        ///< forward time reached
  const at::Tensor& u;  ///< state after the step
  int64_t nfe;          ///< score evaluations so far
};
using StepCallback = std::function<void(const StepInfo&)>;

struct SampleResult {
  at::Tensor x;       ///< the x block, [n, C, ...] (data space)
  at::Tensor u;       ///< the final full state, [n, K·C, ...]
  int64_t nfe = 0;    ///< score evaluations used (from CountingScoreModel)
  int64_t steps = 0;  ///< grid steps taken (denoising excluded)
};

/// Decreasing forward times t_0 = T > … > t_N = t_s (N+1 values), math.md §4,
/// for the grids that need no SDE (uniform, quadratic, gddim).
std::vector<double> make_time_grid(GridKind kind, int64_t steps, double t_max, double t_s);
/// Any grid but auto; logsnr and karras invert the SDE's λ(t) by bisection.
std::vector<double> make_time_grid(const LinearSde& sde, GridKind kind, int64_t steps, double t_max, double t_s);
/// λ(t) = log Φ_xx(t) − ½ log Σ_xx(t), the x block's log signal-to-noise
/// ratio under the sampler's Σ₀ (x known).
double log_snr(const LinearSde& sde, double t);

/// Draws n samples whose x block has per-sample shape data_shape ({d} or {C,H,W}).
/// Randomness: prior first, then the method's draws in step order, all from gen.
SampleResult sample(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options, at::IntArrayRef data_shape,
                    int64_t n, at::Generator gen, const StepCallback& callback = {});

/// The same, starting from a given state u0 at forward time t_start (≤ T)
/// instead of the prior at T (for tests that start from an exact marginal).
SampleResult sample_from(const LinearSde& sde, ScoreModel& model, const SamplerOptions& options, const at::Tensor& u0,
                         double t_start, at::Generator gen, const StepCallback& callback = {});

/// Names of the methods and ODE solvers, for messages and --help.
std::vector<std::string> sampler_names();
std::vector<std::string> ode_solver_names();

}  // namespace hold
