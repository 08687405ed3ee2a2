#pragma once
// The training loop for toy and image runs (architecture.md: lib/train owns ticks,
// JSON-lines metrics, snapshots, resume and EMA; apps/hold-train is glue).
//
// One step: draw a fresh data batch from the data set, perturb it with the
// objective (math.md §3), predict ε, take the weighted loss, backpropagate,
// clip the gradient norm, take an Adam step at the warmed-up learning rate,
// update the EMA. With objective.name classifier (issue 14) the network's
// outputs are class logits of p_t(y | u_t) and the loss is their
// cross-entropy with the batch's labels (data/data_source.h: DataBatch).
// Every random draw comes from the run's generators (seeded
// from config.seed): the data batch and t from the host one, then the aux
// blocks and z from the device one (on the CPU the two are one generator).
// Their states are in every checkpoint, so on the CPU a resumed run
// reproduces the uninterrupted one bit for bit.
//
// Files under options.workdir:
//   config.yaml                 the resolved config
//   init.txt                    with options.init: the checkpoint it started from and its step
//   metrics.jsonl               {"step", "loss", "grad_norm", "lr", "it_per_s"} every
//                               train.log_every steps (loss and grad_norm: means over
//                               the interval) and at the last step
//   checkpoints/ckpt_<step>.pt  every train.ckpt_every steps and at the end; the
//                               last train.keep_checkpoints are kept
//   checkpoints/latest.pt       the newest of them (what --resume continues from)
//   samples/grid_<step>.png     images: samples from the EMA weights every
//                               train.sample_every steps
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hold {

class Communicator;
class EpsNetwork;
class Ema;
struct RunConfig;

struct TrainOptions {
  /// Directory for config.yaml, metrics.jsonl and checkpoints/ (created).
  std::string workdir;
  /// Continue from workdir/checkpoints/latest.pt if it exists (else start fresh).
  /// Without it, a workdir that already holds a checkpoint is a UsageError.
  bool resume = false;
  /// Stop once this many steps are done in total (−1: train.steps).
  int64_t max_steps = -1;
  /// Fine-tuning: a fresh run (no latest.pt yet) starts from this checkpoint's
  /// raw and EMA weights (same model: checked as for --resume), with a fresh
  /// optimiser at step 0; the objective and the train section may differ.
  /// Recorded in workdir/init.txt. Ignored when the run resumes.
  std::string init;
  /// Data parallelism (train/distributed.h); null for one process. With it,
  /// train.batch_size is the global batch: every rank draws the same global
  /// batch and perturbation from the shared generator and trains on its own
  /// slice; gradients are averaged across ranks before clipping, so the run
  /// follows the one-process run's optimisation. Only rank 0 writes files.
  Communicator* comm = nullptr;
  /// Fault injection for tests: the loss of these steps (1-based) is made NaN.
  std::vector<int64_t> poison_steps;
};

/// Seconds spent in each part of the last step (filled when profiling is on).
struct StepTimings {
  double data = 0;              ///< drawing the data batch
  double objective = 0;         ///< perturbation: t, kernels, u_t (math.md §3)
  double forward_backward = 0;  ///< network forward, loss, backward
  double optimizer = 0;         ///< gradient clipping and the Adam step
  double ema = 0;               ///< EMA update
};

/// What the per-step callback sees (the app draws a progress bar from it).
struct TrainProgress {
  int64_t step = 0;         ///< steps done (1-based after the first step)
  int64_t total_steps = 0;  ///< where the run stops
  double loss = 0;          ///< this step's loss (NaN from train_step: read back at flush)
  double grad_norm = 0;     ///< global gradient norm before clipping (likewise)
  double lr = 0;            ///< learning rate used
  /// The loss or gradient was not finite: no update was made (math.md's
  /// weights are unchanged; the step still counts, so resume stays exact).
  bool skipped = false;
  /// fp16: the gradients overflowed; the step was skipped and the loss scale halved.
  bool overflow = false;
  StepTimings timings;
};
using TrainCallback = std::function<void(const TrainProgress&)>;

struct TrainResult {
  int64_t step = 0;        ///< steps done in total
  double loss = 0;         ///< loss of the last step (NaN if none ran)
  std::string checkpoint;  ///< path of the final checkpoint
  /// Several processes: every rank was found to hold rank 0's weights and EMA at the end.
  bool replicas_identical = false;
  /// The signal (SIGINT, SIGTERM) that stopped the run early, after a checkpoint; 0 if none.
  int stopped_by_signal = 0;
};

class Trainer {
 public:
  /// Builds the SDE, data set, objective, network, optimiser and EMA of a
  /// validated config, and resumes if asked. Throws UsageError / ConfigError.
  Trainer(const RunConfig& config, TrainOptions options);
  ~Trainer();

  /// Trains until total_steps(), logging, checkpointing and calling `callback`
  /// for every step (in order, in groups: the values are read back from the
  /// device every few steps and at every log, checkpoint and sample step);
  /// writes the final checkpoint. Stops early, after a
  /// checkpoint, when SIGINT or SIGTERM arrived (train/stop_signal.h).
  /// train.max_nonfinite non-finite steps in a row end it with a
  /// NumericalError naming the steps (isolated ones are skipped and logged).
  TrainResult run(const TrainCallback& callback = {});
  /// One training step without logging or checkpoints (benchmarks, tests).
  /// Nothing in it waits for the device: its loss, gradient norm and skip
  /// flag stay there until flush() (the returned loss and grad_norm are NaN).
  TrainProgress train_step();
  /// Reads back the steps taken since the last flush (one device-to-host
  /// copy; with several processes one collective that also agrees on a stop
  /// signal) and returns them in order with loss, grad_norm and skipped
  /// filled in. Throws NumericalError once train.max_nonfinite steps in a row
  /// were non-finite.
  std::vector<TrainProgress> flush();
  /// Writes checkpoints/ckpt_<step>.pt and latest.pt, prunes old ones; returns
  /// the path (on ranks other than 0: writes nothing and returns "").
  std::string save_checkpoint();
  /// Several processes: whether every rank holds rank 0's weights and EMA
  /// (collective; true for one process).
  bool replicas_identical();
  /// Images: samples train.sample_grid images with the EMA weights and the
  /// sample section's sampler into workdir/samples/grid_<step>.png; returns
  /// the path ("" for toy data).
  std::string write_sample_grid();
  /// Record per-part timings in TrainProgress::timings (off by default).
  void set_profiling(bool on);

  int64_t step() const;
  int64_t total_steps() const;
  EpsNetwork& network();
  const Ema& ema() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

/// ConfigError unless train.batch_size (the global batch) divides evenly
/// among world_size processes. Apps check it before joining a process group.
void check_global_batch(const RunConfig& config, int64_t world_size);

/// Trainer(config, options).run(callback).
TrainResult train(const RunConfig& config, const TrainOptions& options, const TrainCallback& callback = {});

}  // namespace hold
