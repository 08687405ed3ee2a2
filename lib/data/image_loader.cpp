#include "hold/data/image_loader.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <numeric>
#include <random>
#include <sstream>
#include <thread>

#include "hold/core/error.h"

namespace hold {
namespace {

constexpr uint64_t kPermTag = 0x7065726d;  // "perm"
constexpr uint64_t kFlipTag = 0x666c6970;  // "flip"

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Order-sensitive hash of a key sequence: nearby seeds and epochs give unrelated streams.
uint64_t hash_key(std::initializer_list<uint64_t> keys) {
  uint64_t h = 0;
  for (uint64_t k : keys) h = splitmix64(h ^ splitmix64(k));
  return h;
}

/// Uniform in [0, n) by rejection (std::uniform_int_distribution is
/// implementation-defined, which would make orders differ across platforms).
uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  const uint64_t limit = (0 - n) % n;  // 2^64 mod n draws are rejected
  for (;;) {
    const uint64_t r = rng();
    if (r >= limit) return r % n;
  }
}

[[noreturn]] void fail(const std::string& what) { throw UsageError(what + " (image loader)"); }

}  // namespace

// ---------------------------------------------------------------- Prefetcher

namespace detail {

struct Prefetcher::State {
  struct Item {
    at::Tensor value;
    std::exception_ptr error;
  };

  Make make;
  int depth = 0;
  mutable std::mutex mu;
  std::condition_variable cv;  // signals both "item ready" and "room in the queue"
  std::deque<Item> ready;      // results for position, position + 1, ...
  int64_t position = 0;
  int64_t next_make = 0;
  uint64_t generation = 0;  // bumped by seek: results of an older one are dropped
  bool stop = false;
  std::thread worker;

  void reset_locked(int64_t p) {
    ++generation;
    ready.clear();
    position = next_make = p;
    cv.notify_all();
  }

  void run() {
    // Batches are plain data; recording autograd history for them would be waste.
    c10::AutoGradMode no_grad(false);
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return stop || static_cast<int>(ready.size()) < depth; });
      if (stop) return;
      const int64_t index = next_make++;
      const uint64_t gen = generation;
      lock.unlock();
      Item item;
      try {
        item.value = make(index);
      } catch (...) {
        item.error = std::current_exception();
      }
      lock.lock();
      if (gen == generation) {
        ready.push_back(std::move(item));
        cv.notify_all();
      }
    }
  }
};

Prefetcher::Prefetcher(Make make, int depth) : state_(std::make_unique<State>()) {
  TORCH_CHECK(depth >= 0, "prefetch depth must be >= 0, got ", depth);
  state_->make = std::move(make);
  state_->depth = depth;
  if (depth > 0) state_->worker = std::thread([s = state_.get()] { s->run(); });
}

Prefetcher::~Prefetcher() {
  if (state_->worker.joinable()) {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->stop = true;
    }
    state_->cv.notify_all();
    state_->worker.join();
  }
}

at::Tensor Prefetcher::next() {
  State& s = *state_;
  if (s.depth == 0) {
    at::Tensor value = s.make(s.position);
    ++s.position;
    return value;
  }
  std::unique_lock<std::mutex> lock(s.mu);
  s.cv.wait(lock, [&] { return !s.ready.empty(); });
  State::Item item = std::move(s.ready.front());
  s.ready.pop_front();
  if (item.error) {
    s.reset_locked(s.position);  // a retry recomputes this batch
    std::rethrow_exception(item.error);
  }
  ++s.position;
  s.cv.notify_all();
  return item.value;
}

void Prefetcher::seek(int64_t position) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->reset_locked(position);
}

int64_t Prefetcher::position() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->position;
}

}  // namespace detail

// ---------------------------------------------------------------- ImageLoader

namespace {

/// The order of epoch e: a Fisher–Yates shuffle of 0 … n − 1 (the header's recipe).
void fill_epoch_order(uint64_t seed, int64_t e, int64_t n, std::vector<int64_t>& order) {
  order.resize(n);
  std::iota(order.begin(), order.end(), int64_t{0});
  std::mt19937_64 rng(hash_key({seed, kPermTag, static_cast<uint64_t>(e)}));
  for (int64_t k = n - 1; k > 0; --k) {
    std::swap(order[k], order[uniform_below(rng, static_cast<uint64_t>(k) + 1)]);
  }
}

}  // namespace

struct ImageLoader::Batcher {
  at::Tensor images;  // uint8 [N, C, H, W], contiguous
  ImageLoaderOptions options;
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t per_epoch = 0, local = 0;
  std::array<float, 256> value{};  // uint8 -> float, each correctly rounded from double
  float pad_value = 0.f;

  int64_t cached_epoch = -1;  // only touched by make (one thread at a time)
  std::vector<int64_t> order;

  const std::vector<int64_t>& epoch_order(int64_t e) {
    if (e != cached_epoch) {
      fill_epoch_order(options.seed, e, n, order);
      cached_epoch = e;
    }
    return order;
  }

  at::Tensor make(int64_t i) {
    const int64_t e = i / per_epoch, j = i % per_epoch;
    const int64_t big_b = options.batch_size, first = options.rank * local;
    const std::vector<int64_t>& perm = epoch_order(e);
    std::vector<uint8_t> flip(big_b, 0);  // drawn for the global batch: every rank sees the same bits
    if (options.random_flip) {
      std::mt19937_64 rng(hash_key({options.seed, kFlipTag, static_cast<uint64_t>(e), static_cast<uint64_t>(j)}));
      for (auto& f : flip) f = static_cast<uint8_t>(rng() >> 63);
    }
    // One pass of plain loops (gather, flip, scale, pad) instead of ATen ops:
    // no intra-op threads, so the prefetch thread never competes for cores.
    const int64_t p = options.pad, out_h = h + 2 * p, out_w = w + 2 * p;
    // Pinned (page-locked) for a GPU run: its copy to the device is then asynchronous.
    at::Tensor out =
        at::empty({local, c, out_h, out_w}, at::TensorOptions(at::kFloat).pinned_memory(options.pin_memory));
    float* dst = out.data_ptr<float>();
    const uint8_t* src_base = images.data_ptr<uint8_t>();
    for (int64_t k = 0; k < local; ++k) {
      const int64_t g = first + k;
      const uint8_t* src = src_base + perm[j * big_b + g] * c * h * w;
      const bool mirrored = flip[g] != 0;
      for (int64_t ch = 0; ch < c; ++ch) {
        float* plane = dst + (k * c + ch) * out_h * out_w;
        const uint8_t* sp = src + ch * h * w;
        std::fill(plane, plane + p * out_w, pad_value);
        for (int64_t y = 0; y < h; ++y) {
          float* row = plane + (p + y) * out_w;
          const uint8_t* s = sp + y * w;
          std::fill(row, row + p, pad_value);
          if (mirrored) {
            for (int64_t x = 0; x < w; ++x) row[p + x] = value[s[w - 1 - x]];
          } else {
            for (int64_t x = 0; x < w; ++x) row[p + x] = value[s[x]];
          }
          std::fill(row + p + w, row + out_w, pad_value);
        }
        std::fill(plane + (p + h) * out_w, plane + out_h * out_w, pad_value);
      }
    }
    return out;
  }
};

ImageLoader::ImageLoader(const ImageArray& data, ImageLoaderOptions options) : batcher_(std::make_shared<Batcher>()) {
  const at::Tensor& x = data.images;
  if (!x.defined() || x.dim() != 4 || x.scalar_type() != at::kByte || !x.device().is_cpu()) {
    std::ostringstream got;
    if (x.defined())
      got << x.scalar_type() << " " << x.sizes() << " on " << x.device();
    else
      got << "no tensor";
    fail("image data must be uint8 [N, C, H, W] on the CPU, got " + got.str());
  }
  const ImageLoaderOptions& o = options;
  if (o.batch_size < 1) fail("batch size must be positive, got " + std::to_string(o.batch_size));
  if (o.world_size < 1 || o.rank < 0 || o.rank >= o.world_size) {
    fail("rank " + std::to_string(o.rank) + " is not in 0.." + std::to_string(o.world_size - 1));
  }
  if (o.batch_size % o.world_size != 0) {
    fail("batch size " + std::to_string(o.batch_size) + " is not divisible by the number of processes " +
         std::to_string(o.world_size));
  }
  if (o.pad < 0) fail("pad must be >= 0, got " + std::to_string(o.pad));
  if (o.prefetch < 0) fail("prefetch must be >= 0, got " + std::to_string(o.prefetch));
  if (x.size(0) < o.batch_size) {
    fail("data set has " + std::to_string(x.size(0)) + " images, fewer than one batch of " +
         std::to_string(o.batch_size));
  }

  Batcher& b = *batcher_;
  b.images = x.contiguous();
  b.options = o;
  b.n = x.size(0), b.c = x.size(1), b.h = x.size(2), b.w = x.size(3);
  b.per_epoch = b.n / o.batch_size;
  b.local = o.batch_size / o.world_size;
  for (int v = 0; v < 256; ++v) {
    b.value[v] = static_cast<float>(o.centered ? 2.0 * v / 255.0 - 1.0 : v / 255.0);
  }
  b.pad_value = b.value[0];
  prefetcher_ = std::make_unique<detail::Prefetcher>([bp = batcher_](int64_t i) { return bp->make(i); }, o.prefetch);
  if (data.labels.defined()) {
    if (data.labels.dim() != 1 || data.labels.size(0) != b.n) {
      fail("labels must be [N] with N = " + std::to_string(b.n) + " images");
    }
    labels_ = data.labels.to(at::kLong).contiguous();
  }
}

bool ImageLoader::has_labels() const { return labels_.defined(); }

at::Tensor ImageLoader::labels_of(int64_t batch) {
  if (!labels_.defined()) return {};
  const Batcher& b = *batcher_;
  const int64_t e = batch / b.per_epoch, j = batch % b.per_epoch;
  if (e != label_epoch_) {
    fill_epoch_order(b.options.seed, e, b.n, label_order_);
    label_epoch_ = e;
  }
  at::Tensor out = at::empty({b.local}, at::kLong);
  int64_t* dst = out.data_ptr<int64_t>();
  const int64_t* src = labels_.data_ptr<int64_t>();
  const int64_t first = j * b.options.batch_size + b.options.rank * b.local;
  for (int64_t k = 0; k < b.local; ++k) dst[k] = src[label_order_[first + k]];
  return out;
}

ImageLoader::~ImageLoader() = default;  // prefetcher_ (declared last) joins its thread first

at::Tensor ImageLoader::next() { return prefetcher_->next(); }

void ImageLoader::seek(int64_t batches_consumed) {
  if (batches_consumed < 0) fail("cannot seek to batch " + std::to_string(batches_consumed));
  prefetcher_->seek(batches_consumed);
}

int64_t ImageLoader::batches_per_epoch() const { return batcher_->per_epoch; }

int64_t ImageLoader::position() const { return prefetcher_->position(); }

std::vector<int64_t> ImageLoader::sample_shape() const {
  const Batcher& b = *batcher_;
  return {b.c, b.h + 2 * b.options.pad, b.w + 2 * b.options.pad};
}

}  // namespace hold
