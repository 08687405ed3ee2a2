#pragma once
// Work split into numbered part files, for exports that several processes
// share (rank r takes parts k ≡ r mod world) or that resume after a kill:
// each finished part is written atomically to DIR/part_<k>.npz, so its
// existence means it is complete. The merging process waits for all of them.
#include <cstdint>
#include <functional>
#include <string>

namespace hold {

class PartFiles {
 public:
  /// Creates `dir` if needed. UsageError naming it when that fails.
  PartFiles(std::string dir, int64_t parts);

  int64_t parts() const { return parts_; }
  std::string path(int64_t k) const;
  bool exists(int64_t k) const;
  /// How many parts exist.
  int64_t count() const;
  /// Polls until every part exists, calling `progress` with the count when it
  /// changes; hold::Error when no new part appeared for timeout_s (another
  /// process died: the parts written are kept for a rerun).
  void wait_for_all(double timeout_s, const std::function<void(int64_t)>& progress = {}) const;
  /// Deletes the folder and its parts (after the merge).
  void remove() const;

 private:
  std::string dir_;
  int64_t parts_;
};

}  // namespace hold
