#include "hold/train/trainer.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "hold/core/device.h"
#include "hold/core/error.h"
#include "hold/core/seeds.h"
#include "hold/data/data_source.h"
#include "hold/io/atomic_file.h"
#include "hold/io/config.h"
#include "hold/io/image_grid.h"
#include "hold/io/jsonl.h"
#include "hold/models/ema.h"
#include "hold/models/eps_network.h"
#include "hold/models/eps_score_model.h"
#include "hold/models/label_embedding.h"
#include "hold/objectives/objective.h"
#include "hold/samplers/sampler.h"
#include "hold/sde/presets.h"
#include "hold/train/adam.h"
#include "hold/train/checkpoint.h"
#include "hold/train/distributed.h"
#include "hold/train/flat_parameters.h"
#include "hold/train/mixed_precision.h"
#include "hold/train/run_components.h"
#include "hold/train/stop_signal.h"
#include "hold/train/trained_network.h"

namespace hold {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

/// derived_seed stream of the device noise generator.
constexpr uint64_t kNoiseStream = 0x4E4F495345ULL;  // "NOISE"
/// Steps whose values may wait on the device before the trainer reads them
/// back (at most; log, checkpoint and sample steps read them sooner).
constexpr int64_t kMaxPendingSteps = 25;
/// Columns of State::pending_values.
enum PendingColumn : int64_t { kLoss = 0, kGradNorm, kSkipped, kOverflow, kColumns };

/// Waits for the device's queued work (profiling only: timings of a GPU
/// step need it; nothing else in a step does).
void synchronize(c10::Device device) {
  if (device.is_cpu()) return;
  c10::impl::VirtualGuardImpl(device.type()).synchronizeDevice(device.index());
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void make_dirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw UsageError("cannot create directory: " + ec.message() + " (" + dir + ")");
}

/// Step numbers of the periodic checkpoints ckpt_<step>.pt in dir, ascending.
std::vector<int64_t> checkpoint_steps(const std::string& dir) {
  static const std::regex name_re("ckpt_([0-9]+)\\.pt");
  std::vector<int64_t> steps;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, name_re)) steps.push_back(std::stoll(m[1].str()));
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

/// Rows [rank·n/world, (rank+1)·n/world) of every field: this rank's share of
/// the global batch (DistributedSampler's disjoint shards).
PerturbedBatch local_slice(const PerturbedBatch& b, int64_t rank, int64_t world) {
  const int64_t local = b.u_t.size(0) / world;
  auto rows = [&](const at::Tensor& x) { return x.defined() ? x.slice(0, rank * local, (rank + 1) * local) : x; };
  return {rows(b.u_t), rows(b.t), rows(b.target), rows(b.weight), rows(b.ell), rows(b.labels)};
}

/// Keeps the records of a metrics file up to `step` (a resumed run rewrites
/// the steps after its checkpoint).
void truncate_metrics(const std::string& path, int64_t step) {
  if (!fs::exists(path)) return;
  std::string kept;
  for (const auto& record : read_jsonl(path)) {
    if (record.contains("step") && record["step"].get<int64_t>() <= step) kept += record.dump() + "\n";
  }
  write_file_atomic(path, kept);
}

}  // namespace

struct Trainer::State {
  State(const RunConfig& c, TrainOptions o)
      : config(c),
        options(std::move(o)),
        sde(make_sde(c.sde)),
        objective(sde, c.objective),
        data(make_training_data(c)),
        gen(make_generator(static_cast<uint64_t>(c.seed))),
        device(resolve_device(c.device)),
        // On the CPU one generator draws everything (as it always has); on a
        // GPU the noise comes from a generator there, seeded apart.
        noise_gen(device.is_cpu() ? gen : make_generator(derived_seed(c.seed, 0, kNoiseStream), device)),
        lr_schedule(lr_schedule_registry().at(c.train.lr_schedule).value),
        precision(precision_registry().at(c.train.precision).value),
        autocast_dtype(precision_dtype(precision)),
        scaler(precision == Precision::kFp16 && device.is_cuda(), device) {}

  RunConfig config;
  TrainOptions options;
  LinearSde sde;
  Objective objective;
  std::unique_ptr<TrainingData> data;
  at::Generator gen;  // host: data batches and t (whose kernels are host float64)
  at::Device device;
  at::Generator noise_gen;  // the run's device: aux blocks and z (gen itself on the CPU)
  LrSchedule lr_schedule;   // train.lr_schedule and train.precision, resolved once
  Precision precision;
  c10::ScalarType autocast_dtype;
  LossScaler scaler;
  std::shared_ptr<EpsNetwork> sample_net;  // EMA weights for the periodic grids (built on first use)
  std::shared_ptr<EpsNetwork> net;
  std::unique_ptr<EpsScoreModel> model;  // the parameterisation (plain or mixed ε)
  std::unique_ptr<FlatParameters> flat;  // parameters and gradients as two buffers
  std::unique_ptr<Adam> optimizer;
  std::unique_ptr<Ema> ema;
  int64_t step = 0;
  int64_t total = 0;
  bool profiling = false;
  int64_t nonfinite_in_a_row = 0;
  bool stop_on_some_rank = false;  // several processes: a stop signal arrived on a rank by this step
  // Steps taken but not yet read back: their loss, gradient norm, skip and
  // overflow flags stay on the device (one row each) until flush().
  at::Tensor pending_values;
  std::vector<TrainProgress> pending;

  bool noise_gen_distinct() const { return !device.is_cpu(); }

  int64_t rank() const { return options.comm ? options.comm->rank() : 0; }
  int64_t world() const { return options.comm ? options.comm->world_size() : 1; }
  /// Rank 0 alone writes files.
  bool writes() const { return rank() == 0; }

  std::string checkpoint_dir() const { return options.workdir + "/checkpoints"; }
  std::string latest_path() const { return checkpoint_dir() + "/latest.pt"; }

  double lr_at(int64_t step_index) const { return learning_rate(config.train, lr_schedule, step_index); }

  /// Fine-tuning's start: the weights of `path`'s model (the same model as
  /// this run's), nothing else; every rank reads the same file. A
  /// class-conditional model may start from an unconditional checkpoint of
  /// the same network: its label embedding then keeps its own initial draw.
  /// (Not zero: a zero table grows by Adam steps of ~lr through a gradient
  /// that is mostly noise; measured, 2000 steps at 2e-4 left it below 0.03,
  /// too small beside the O(1) time features to condition anything. Random
  /// rows give every class a distinct code at once, as training from scratch.)
  void start_from(const std::string& path) {
    if (!fs::exists(path)) throw UsageError("no checkpoint at " + path + " (--init)");
    RunConfig trained = load_checkpoint(path).config;
    const bool adds_labels = trained.model.num_classes == 0 && config.model.num_classes > 0;
    if (adds_labels) trained.model.num_classes = config.model.num_classes;
    check_same_model(trained, config, config.source.empty() ? "the config" : config.source, path);
    std::vector<std::string> label_embedding;  // the parameters the checkpoint lacks
    if (adds_labels) {
      for (const auto& item : net->named_parameters(/*recurse=*/true)) {
        if (item.key().find(kLabelEmbeddingName) != std::string::npos) label_embedding.push_back(item.key());
      }
    }
    const int64_t from_step = load_initial_weights(path, *net, *ema, label_embedding);
    if (writes()) {
      write_file_atomic(options.workdir + "/init.txt", path + " (step " + std::to_string(from_step) + ")" +
                                                           (adds_labels ? ", label embedding freshly drawn" : "") +
                                                           "\n");
    }
  }
};

Trainer::Trainer(const RunConfig& config, TrainOptions options)
    : s_(std::make_unique<State>(config, std::move(options))) {
  State& s = *s_;
  if (network_registry().at(s.config.model.name).input == NetworkInput::kMixture) {
    throw UsageError("model 'oracle' is exact and has nothing to train (model.name)");
  }
  if (s.options.workdir.empty()) throw UsageError("training needs a work directory (--workdir)");
  s.total = s.options.max_steps >= 0 ? s.options.max_steps : s.config.train.steps;

  if (s.precision == Precision::kFp16 && !s.device.is_cuda()) {
    throw ConfigError("fp16 autocast needs a CUDA device, and '" + s.config.device + "' resolved to " + s.device.str() +
                      "; use bf16 or fp32 (train.precision)");
  }
  check_global_batch(s.config, s.world());
  s.net = make_network(s.config);
  s.net->to(s.device);
  if (use_channels_last(s.config.model, s.device)) s.net->use_channels_last();
  if (s.options.comm) {
    // DDP's start: every rank begins from rank 0's weights and buffers.
    std::vector<at::Tensor> state;
    for (const auto& p : s.net->parameters()) state.push_back(p.data());
    for (const auto& b : s.net->buffers()) state.push_back(b);
    s.options.comm->broadcast(state);
  }
  s.model = std::make_unique<EpsScoreModel>(s.net, s.sde, s.objective.sigma0(), s.config.model.mixed_score);
  s.flat = std::make_unique<FlatParameters>(*s.net);  // before the EMA: it sees the flat buffer
  s.optimizer = std::make_unique<Adam>(s.flat->values(), s.flat->grads());
  s.ema = std::make_unique<Ema>(*s.net, s.config.train.ema);

  if (s.writes()) make_dirs(s.checkpoint_dir());
  if (fs::exists(s.latest_path())) {
    // Never mix two runs' checkpoints (pruning would delete the new ones).
    if (!s.options.resume) {
      throw UsageError(
          "the work directory already holds a run; pass --resume to continue it or "
          "choose another --workdir (" +
          s.latest_path() + ")");
    }
    // A resumed run must be the same run: refuse a config whose model differs.
    check_same_model(load_checkpoint(s.latest_path()).config, s.config,
                     s.config.source.empty() ? "the config" : s.config.source, s.latest_path());
    s.step = restore_training_state(s.latest_path(), *s.net, *s.ema, *s.optimizer, s.gen,
                                    s.noise_gen_distinct() ? &s.noise_gen : nullptr);
    s.data->seek(s.step);
  } else if (!s.options.init.empty()) {
    s.start_from(s.options.init);
  }
  if (s.writes()) write_file_atomic(s.options.workdir + "/config.yaml", to_yaml(s.config));
}

Trainer::~Trainer() = default;

int64_t Trainer::step() const { return s_->step; }
int64_t Trainer::total_steps() const { return s_->total; }
EpsNetwork& Trainer::network() { return *s_->net; }
const Ema& Trainer::ema() const { return *s_->ema; }
void Trainer::set_profiling(bool on) { s_->profiling = on; }

TrainProgress Trainer::train_step() {
  State& s = *s_;
  // run() reads values back before the buffer fills; a direct caller
  // (benchmarks) that never does has them read, and dropped, here.
  if (static_cast<int64_t>(s.pending.size()) == kMaxPendingSteps) flush();
  TrainProgress p;
  StepTimings& tm = p.timings;
  auto mark = Clock::now();
  // Time the part that just ended (only when profiling: no clock reads, and
  // no device synchronisation, otherwise).
  auto lap = [&](double& slot) {
    if (!s.profiling) return;
    synchronize(s.device);
    const auto now = Clock::now();
    slot = std::chrono::duration<double>(now - mark).count();
    mark = now;
  };

  // The loader hands pinned batches on CUDA: the copy overlaps the device's work.
  const DataBatch data = s.data->next(s.gen);
  const auto x0 = data.x.to(s.device, /*non_blocking=*/true);
  lap(tm.data);
  PerturbedBatch batch = s.objective.perturb(x0, s.gen, s.noise_gen);
  if (data.labels.defined()) {
    at::Tensor labels = data.labels;
    if (s.config.model.num_classes > 0) {
      // Classifier-free guidance's training: each label becomes ∅ (= J) with
      // probability model.label_dropout, drawn for the global batch after the perturbation.
      const at::Tensor drop = at::rand({labels.size(0)}, s.gen, at::kDouble).lt(s.config.model.label_dropout);
      labels = labels.masked_fill(drop, s.config.model.num_classes);
    }
    batch.labels = labels.to(s.device, /*non_blocking=*/true);
  }
  if (s.world() > 1) batch = local_slice(batch, s.rank(), s.world());
  lap(tm.objective);

  s.flat->zero_grad();
  // Dropout draws from the global generator: seed it per step (and rank) so
  // that a resumed run draws the same masks as an uninterrupted one.
  at::manual_seed(derived_seed(s.config.seed, s.step, static_cast<uint64_t>(s.rank()) << 40));
  // The labels a class-conditional network sees (undefined: an unconditional one).
  const at::Tensor net_labels = s.config.model.num_classes > 0 ? batch.labels : at::Tensor();
  at::Tensor loss;
  if (s.objective.trains_classifier()) {
    // The network's outputs are the class logits of p_t(y | u_t).
    at::Tensor logits;
    {
      AutocastScope autocast(s.device, s.autocast_dtype);
      logits = s.net->forward(batch.u_t, batch.t.to(at::kFloat).to(s.device, /*non_blocking=*/true));
    }
    loss = s.objective.classifier_loss(logits, batch);
  } else if (s.objective.needs_network()) {
    // High-order DSM differentiates the network in u_K (math.md §11): the
    // objective calls it, under the same autocast, and takes the loss in float32.
    AutocastScope autocast(s.device, s.autocast_dtype);
    auto eps_fn = [&](const at::Tensor& u) { return s.model->predict_eps(u, batch.t, net_labels).to(at::kFloat); };
    loss = s.objective.loss(eps_fn, batch, s.noise_gen);
  } else {
    at::Tensor eps_hat;
    {
      AutocastScope autocast(s.device, s.autocast_dtype);
      eps_hat = s.model->predict_eps(batch.u_t, batch.t, net_labels);
    }
    loss = s.objective.loss(eps_hat.to(at::kFloat), batch);
  }
  s.scaler.scale_loss(loss).backward();
  loss = loss.detach();
  if (s.options.comm) {
    // Equal shards: the mean of the ranks' gradients is the global batch's,
    // and the mean of their losses the global loss (on the device, so that
    // every rank takes the same skip decision below without a host read).
    s.options.comm->all_reduce_mean(s.flat->grads());
    loss = loss.clone();
    s.options.comm->all_reduce_mean(loss);
  }
  lap(tm.forward_backward);

  // Everything below is decided on the device: a non-finite loss or gradient
  // (or an fp16 overflow) sets `skip`, which leaves the weights, Adam's
  // moments and the EMA as they were. The host learns of it at flush().
  at::Tensor overflow = s.scaler.unscale_and_update(s.flat->grads());
  const at::Tensor grad_norm = s.flat->clip_grad_norm(s.config.train.grad_clip);
  if (std::find(s.options.poison_steps.begin(), s.options.poison_steps.end(), s.step + 1) !=
      s.options.poison_steps.end()) {
    loss = loss + std::numeric_limits<float>::quiet_NaN();
  }
  const at::Tensor finite = at::isfinite(loss).logical_and_(at::isfinite(grad_norm));
  if (!overflow.defined()) overflow = at::zeros({}, loss.options());
  const at::Tensor skip = finite.logical_not().logical_or_(overflow).to(at::kFloat);
  p.lr = s.lr_at(s.step + 1);
  s.optimizer->step(p.lr, skip);
  lap(tm.optimizer);

  s.ema->update(skip);
  lap(tm.ema);

  if (!s.pending_values.defined()) s.pending_values = at::empty({kMaxPendingSteps, kColumns}, loss.options());
  s.pending_values[static_cast<int64_t>(s.pending.size())].copy_(
      at::stack({loss, grad_norm.to(at::kFloat), skip, overflow}));
  ++s.step;
  p.step = s.step;
  p.total_steps = s.total;
  p.loss = p.grad_norm = std::numeric_limits<double>::quiet_NaN();  // known at flush()
  s.pending.push_back(p);
  return p;
}

std::vector<TrainProgress> Trainer::flush() {
  State& s = *s_;
  std::vector<TrainProgress> done;
  done.swap(s.pending);
  const int64_t m = static_cast<int64_t>(done.size());
  const bool local_stop = stop_signal() != 0;
  if (m == 0 && !s.options.comm) return done;
  // The one device-to-host read of these steps.
  at::Tensor values = m > 0 ? s.pending_values.narrow(0, 0, m).to(at::kCPU, at::kDouble).contiguous()
                            : at::empty({0, kColumns}, at::kDouble);
  const double* v = values.data_ptr<double>();
  // Several processes: one small collective for a stop signal on any rank
  // (all ranks must leave the loop after the same step). The losses are
  // already the global means (train_step).
  if (s.options.comm) s.stop_on_some_rank = s.options.comm->mean(local_stop ? 1.0 : 0.0) > 0.0;
  for (int64_t i = 0; i < m; ++i) {
    TrainProgress& p = done[i];
    p.loss = v[i * kColumns + kLoss];
    p.grad_norm = v[i * kColumns + kGradNorm];
    p.overflow = v[i * kColumns + kOverflow] > 0.0;
    if (p.overflow) {
      // fp16 overflow: the step was skipped and the scale halved, as GradScaler does.
      p.grad_norm = std::numeric_limits<double>::infinity();
      continue;
    }
    p.skipped = v[i * kColumns + kSkipped] > 0.0;
    if (!p.skipped) {
      s.nonfinite_in_a_row = 0;
      continue;
    }
    ++s.nonfinite_in_a_row;
    if (s.nonfinite_in_a_row >= s.config.train.max_nonfinite) {
      std::ostringstream os;
      os << "training diverged: " << s.nonfinite_in_a_row << " steps in a row with a non-finite loss or gradient "
         << "(steps " << p.step + 1 - s.nonfinite_in_a_row << "-" << p.step << "; last loss " << p.loss
         << ", gradient norm " << p.grad_norm << "); likely causes: a learning rate too high (train.lr), no "
         << "gradient clipping (train.grad_clip), fp16 overflow (train.precision), or t_eps too small "
         << "(objective.t_eps); the last checkpoint holds the finite weights before them";
      throw NumericalError(os.str());
    }
  }
  return done;
}

std::string Trainer::save_checkpoint() {
  State& s = *s_;
  if (!s.writes()) return "";
  // Never write a checkpoint that would poison a resume.
  bool finite = at::isfinite(s.flat->values()).all().item<bool>();
  for (const auto& t : s.ema->shadow()) finite = finite && at::isfinite(t).all().item<bool>();
  if (!finite) {
    throw NumericalError("the weights or their EMA are not finite at step " + std::to_string(s.step) +
                         "; no checkpoint written (the last one is kept)");
  }
  const TrainingState state{
      s.config, s.step, *s.net, *s.ema, *s.optimizer, s.gen, s.noise_gen_distinct() ? &s.noise_gen : nullptr};
  const std::string bytes = serialize_checkpoint(state);
  std::string path = s.checkpoint_dir() + "/ckpt_" + std::to_string(s.step) + ".pt";
  write_file_atomic(path, bytes);
  write_file_atomic(s.latest_path(), bytes);
  const auto steps = checkpoint_steps(s.checkpoint_dir());
  const int64_t keep = std::max<int64_t>(1, s.config.train.keep_checkpoints);
  for (size_t i = 0; i + keep < steps.size(); ++i) {
    std::error_code ec;
    fs::remove(s.checkpoint_dir() + "/ckpt_" + std::to_string(steps[i]) + ".pt", ec);
  }
  return path;
}

bool Trainer::replicas_identical() {
  State& s = *s_;
  if (!s.options.comm) return true;
  std::vector<at::Tensor> mine{s.flat->values()};
  for (const auto& t : s.ema->shadow()) mine.push_back(t);
  std::vector<at::Tensor> reference;
  reference.reserve(mine.size());
  for (const auto& t : mine) reference.push_back(t.detach().clone());
  s.options.comm->broadcast(reference);
  bool same = true;
  for (size_t i = 0; i < mine.size(); ++i) same = same && at::equal(mine[i], reference[i]);
  return s.options.comm->all(same);
}

std::string Trainer::write_sample_grid() {
  State& s = *s_;
  if (!s.writes()) return "";
  const std::vector<int64_t> shape = data_shape(s.config.data);
  if (shape.size() != 3) return "";  // toy data: hold-sample plots it
  if (!s.sample_net) {
    s.sample_net = make_network(s.config);
    s.sample_net->to(s.device);
    if (use_channels_last(s.config.model, s.device)) s.sample_net->use_channels_last();
    s.sample_net->eval();
  }
  s.ema->copy_to(*s.sample_net);
  const auto model = make_score_model(s.config, s.sde, s.sample_net);
  // The same seed every time, so that successive grids show the same samples improving.
  auto gen = make_generator(static_cast<uint64_t>(s.config.seed) + 1000003, s.device);
  SamplerOptions options = s.config.sample;
  options.device = s.device;
  const SampleResult result = sample(s.sde, *model, options, shape, s.config.train.sample_grid, gen);
  make_dirs(s.options.workdir + "/samples");
  std::string path = s.options.workdir + "/samples/grid_" + std::to_string(s.step) + ".png";
  write_image_grid_png(path, result.x.to(at::kFloat).cpu());
  return path;
}

TrainResult Trainer::run(const TrainCallback& callback) {
  State& s = *s_;
  const std::string metrics_path = s.options.workdir + "/metrics.jsonl";
  if (s.step > 0 && s.writes()) {
    truncate_metrics(metrics_path, s.step);
  }
  // Ranks other than 0 log nowhere.
  JsonlWriter metrics(s.writes() ? metrics_path : "/dev/null", /*append=*/s.step > 0 || !s.writes());

  TrainResult result;
  result.loss = std::numeric_limits<double>::quiet_NaN();
  double loss_sum = 0, grad_sum = 0;
  int64_t interval_steps = 0;
  auto interval_start = Clock::now();
  const int64_t first_step = s.step;
  int64_t last_checkpoint = -1;
  int64_t logged_steps = 0;  // steps of the interval with a finite loss
  const TrainConfig& tc = s.config.train;
  auto due = [](int64_t step, int64_t every) { return every > 0 && step % every == 0; };
  // The per-step values of the steps since the last flush: metrics, callback.
  auto record = [&](const std::vector<TrainProgress>& steps) {
    for (const TrainProgress& p : steps) {
      result.loss = p.loss;
      ++interval_steps;
      if (p.skipped) {
        metrics.write({{"step", p.step}, {"skipped", "non-finite loss or gradient"}});
      } else if (p.overflow) {
        metrics.write({{"step", p.step}, {"skipped", "fp16 overflow (loss scale halved)"}});
      } else {
        loss_sum += p.loss;
        grad_sum += p.grad_norm;
        ++logged_steps;
      }
      if ((due(p.step, tc.log_every) || p.step == s.total) && logged_steps > 0) {
        const double elapsed = seconds_since(interval_start);
        metrics.write({{"step", p.step},
                       {"loss", loss_sum / logged_steps},
                       {"grad_norm", grad_sum / logged_steps},
                       {"lr", p.lr},
                       {"it_per_s", elapsed > 0 ? interval_steps / elapsed : 0.0}});
        loss_sum = grad_sum = 0;
        interval_steps = logged_steps = 0;
        interval_start = Clock::now();
      }
      if (callback) callback(p);
    }
  };
  install_stop_signals();
  while (s.step < s.total) {
    train_step();
    const int64_t step = s.step;
    // One process stops at once on a signal; several agree at the next flush.
    const bool local_stop = !s.options.comm && stop_signal() != 0;
    const bool flush_now = static_cast<int64_t>(s.pending.size()) == kMaxPendingSteps || due(step, tc.log_every) ||
                           due(step, tc.ckpt_every) || due(step, tc.sample_every) || step == s.total || local_stop;
    if (!flush_now) continue;
    record(flush());
    if (due(step, tc.ckpt_every)) {
      result.checkpoint = save_checkpoint();
      last_checkpoint = step;
    }
    if (due(step, tc.sample_every)) write_sample_grid();
    if (s.options.comm ? s.stop_on_some_rank : local_stop) {
      result.stopped_by_signal = stop_signal() != 0 ? stop_signal() : SIGTERM;
      break;
    }
  }
  if (s.step == first_step && fs::exists(s.latest_path())) {
    result.checkpoint = s.latest_path();  // resumed a finished run: nothing new to save
  } else if (last_checkpoint != s.step) {
    result.checkpoint = save_checkpoint();
  }
  result.step = s.step;
  result.replicas_identical = s.options.comm && replicas_identical();
  if (s.options.comm && !result.replicas_identical) {
    throw NumericalError("the ranks' weights or EMA differ after training (rank " + std::to_string(s.rank()) + ")");
  }
  return result;
}

void check_global_batch(const RunConfig& config, int64_t world_size) {
  if (config.train.batch_size % world_size == 0) return;
  throw ConfigError("train.batch_size " + std::to_string(config.train.batch_size) +
                    " is the global batch and must be "
                    "divisible by the number of processes, " +
                    std::to_string(world_size) + " (" + config.where("train.batch_size") + ")");
}

TrainResult train(const RunConfig& config, const TrainOptions& options, const TrainCallback& callback) {
  Trainer trainer(config, options);
  return trainer.run(callback);
}

}  // namespace hold
