#include "hold/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "hold/core/error.h"

namespace hold {
namespace {

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// Makes the rename durable; failures here are ignored (some file systems
/// refuse fsync on directories, and the data itself is already on disk).
void sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty() || path_.back() == '/') throw UsageError("not a file name (" + path_ + ")");
  static std::atomic<unsigned> counter{0};
  const std::string stem = dir_of(path_) + "/." + base_of(path_) + ".tmp." + std::to_string(::getpid()) + ".";
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp_path_ = stem + std::to_string(counter++);
    // 0666 & ~umask, like any other new file (mkstemp would force 0600).
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    if (errno != EEXIST) break;
  }
  const int err = errno;
  temp_path_.clear();
  throw UsageError("cannot create a file in directory '" + dir_of(path_) + "': " + std::strerror(err) + " (" + path_ +
                   ")");
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFile::fail(const std::string& what, int err) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  temp_path_.clear();
  throw UsageError(what + ": " + std::strerror(err) + " (" + path_ + ")");
}

void AtomicFile::write(const void* data, size_t n) {
  if (fd_ < 0) throw UsageError("write after commit or failure (" + path_ + ")");
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("cannot write file", errno);
    }
    if (w == 0) fail("cannot write file", ENOSPC);
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void AtomicFile::seek(uint64_t offset) {
  if (fd_ < 0) throw UsageError("seek after commit or failure (" + path_ + ")");
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) fail("cannot seek in file", errno);
}

void AtomicFile::commit() {
  if (fd_ < 0) throw UsageError("commit after commit or failure (" + path_ + ")");
  // fsync and close report delayed write errors (NFS, quotas): check both.
  if (::fsync(fd_) != 0) fail("cannot write file (fsync)", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot write file (close)", errno);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) fail("cannot replace file", errno);
  temp_path_.clear();
  sync_dir(dir_of(path_));
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

}  // namespace hold
