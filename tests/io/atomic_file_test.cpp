// Atomic writes: no temporary left behind, the old file intact until commit,
// and clear errors naming the path.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "hold/core/error.h"
#include "hold/io/atomic_file.h"
#include "support/file_bytes.h"
#include "support/temp_dir.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {
namespace {

std::string slurp(const std::string& path) { return test::file_bytes(path); }

}  // namespace

TEST_CASE("an atomic write leaves only the target file", "[io][atomic]") {
  test::TempDir dir;
  const std::string path = dir.file("out.bin");
  write_file_atomic(path, "first");
  CHECK(slurp(path) == "first");
  write_file_atomic(path, std::string("second\0with nul", 15));
  CHECK(slurp(path) == std::string("second\0with nul", 15));
  CHECK(dir.entries() == std::vector<std::string>{"out.bin"});
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0600) == 0600);  // a normal file mode, not mkstemp's private one only
}

TEST_CASE("an uncommitted atomic file changes nothing", "[io][atomic]") {
  test::TempDir dir;
  const std::string path = dir.file("keep.txt");
  write_file_atomic(path, "old");
  {
    AtomicFile f(path);
    f.write("new contents");
    CHECK(dir.entries().size() == 2);  // the temporary exists while writing
    CHECK(slurp(path) == "old");
  }  // destroyed without commit(), e.g. by an exception
  CHECK(slurp(path) == "old");
  CHECK(dir.entries() == std::vector<std::string>{"keep.txt"});
}

TEST_CASE("an unwritable destination is a UsageError naming the path", "[io][atomic]") {
  test::TempDir dir;
  SECTION("missing directory") {
    const std::string path = dir.file("no/such/dir/x.npz");
    CHECK_THROWS_WITH(write_file_atomic(path, "x"), Catch::Matchers::Contains("No such file or directory") &&
                                                        Catch::Matchers::EndsWith("(" + path + ")"));
  }
  SECTION("parent is a file") {
    write_file_atomic(dir.file("f"), "x");
    const std::string path = dir.file("f/x.npz");
    CHECK_THROWS_AS(write_file_atomic(path, "x"), UsageError);
    CHECK_THROWS_WITH(write_file_atomic(path, "x"), Catch::Matchers::EndsWith("(" + path + ")"));
  }
  SECTION("read-only directory (skipped as root, who may write anyway)") {
    if (::geteuid() != 0) {
      const std::string ro = dir.file("ro");
      REQUIRE(::mkdir(ro.c_str(), 0500) == 0);
      CHECK_THROWS_WITH(write_file_atomic(ro + "/x", "x"), Catch::Matchers::Contains("Permission denied"));
      ::chmod(ro.c_str(), 0700);
    }
  }
  SECTION("the target is a directory: rename fails, the temporary is removed") {
    const std::string sub = dir.file("sub");
    REQUIRE(::mkdir(sub.c_str(), 0700) == 0);
    CHECK_THROWS_WITH(write_file_atomic(sub, "x"),
                      Catch::Matchers::StartsWith("cannot replace file") && Catch::Matchers::EndsWith("(" + sub + ")"));
    CHECK(dir.entries() == std::vector<std::string>{"sub"});
  }
}

}  // namespace hold
