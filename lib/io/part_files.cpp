#include "hold/io/part_files.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include "hold/core/error.h"

namespace hold {
namespace fs = std::filesystem;

PartFiles::PartFiles(std::string dir, int64_t parts) : dir_(std::move(dir)), parts_(parts) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw UsageError("cannot create directory: " + ec.message() + " (" + dir_ + ")");
}

std::string PartFiles::path(int64_t k) const { return dir_ + "/part_" + std::to_string(k) + ".npz"; }

bool PartFiles::exists(int64_t k) const { return fs::exists(path(k)); }

int64_t PartFiles::count() const {
  int64_t done = 0;
  for (int64_t k = 0; k < parts_; ++k) done += exists(k);
  return done;
}

void PartFiles::wait_for_all(double timeout_s, const std::function<void(int64_t)>& progress) const {
  using Clock = std::chrono::steady_clock;
  int64_t seen = count();
  auto last_change = Clock::now();
  while (seen < parts_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const int64_t now = count();
    if (now != seen) {
      seen = now;
      last_change = Clock::now();
      if (progress) progress(now);
    }
    if (std::chrono::duration<double>(Clock::now() - last_change).count() > timeout_s) {
      throw Error("no other process wrote a part for " + std::to_string(static_cast<int64_t>(timeout_s)) + " s (" +
                  std::to_string(parts_ - seen) + " of " + std::to_string(parts_) +
                  " parts missing); run the same command again to resume (distributed.timeout_s, " + dir_ + ")");
    }
  }
}

void PartFiles::remove() const {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

}  // namespace hold
