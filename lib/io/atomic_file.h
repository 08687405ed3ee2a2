#pragma once
// Atomic file writes (architecture.md: "files written by the tools are written
// atomically"): the bytes go to a temporary file in the target's directory,
// which is fsync'ed and then renamed over the target, and the directory is
// fsync'ed. A reader sees the old file or the complete new one, never a torn
// one, even if the process dies mid-write.
//
//   AtomicFile f("out/samples.npz");   // creates out/.samples.npz.tmp.<pid>.<n>
//   f.write(data, size);               // as often as needed
//   f.commit();                        // fsync + rename + fsync(dir)
//
// Every failure (directory missing or not writable, disk full, quota, I/O
// error) throws UsageError "<what>: <strerror> (<path>)". An AtomicFile
// destroyed without commit() removes its temporary file.
#include <cstddef>
#include <cstdint>
#include <string>

namespace hold {

class AtomicFile {
 public:
  /// Opens the temporary file next to `path`; throws UsageError naming path.
  explicit AtomicFile(std::string path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  /// Appends n bytes; throws UsageError on a short or failed write (e.g. ENOSPC).
  void write(const void* data, size_t n);
  void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }
  /// Moves the write position to `offset` bytes from the start, for writers
  /// that go back to patch a header (libzip's, in npz.cpp).
  void seek(uint64_t offset);
  /// Flushes to disk and renames the temporary over `path`. Call once.
  void commit();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  void fail(const std::string& what, int err);
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
};

/// Writes `bytes` to `path` atomically (one AtomicFile, written and committed).
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace hold
