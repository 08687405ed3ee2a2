// hold-fid score: FID between two statistics files equals the closed form of
// diagonal Gaussians; a file without `sigma` is a usage error naming it.
#include <ATen/ATen.h>

#include <string>

#include "../io/temp_dir.h"
#include "io/npz.h"
#include "support/run_tool.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

using namespace hold;

TEST_CASE("hold-fid score prints the Frechet distance of two statistics files", "[cli][fid]") {
  test::TempDir dir;
  const auto a = at::tensor({0.5, 2.0, 1.0}, at::kDouble), b = at::tensor({1.5, 0.1, 4.0}, at::kDouble);
  const auto mu1 = at::tensor({0.0, 1.0, -2.0}, at::kDouble), mu2 = at::tensor({1.0, 1.0, 0.0}, at::kDouble);
  write_npz(dir.file("a.npz"), {{"mu", mu1}, {"sigma", at::diag(a)}});
  write_npz(dir.file("b.npz"), {{"mu", mu2.to(at::kFloat)}, {"sigma", at::diag(b).to(at::kFloat)}});
  const double expected =
      (mu1 - mu2).square().sum().item<double>() + (a.sqrt() - b.sqrt()).square().sum().item<double>();

  const auto r = test::run_tool("hold-fid score " + dir.file("a.npz") + " " + dir.file("b.npz"));
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto at_fid = r.out.find("fid: ");
  REQUIRE(at_fid != std::string::npos);
  CHECK(std::stod(r.out.substr(at_fid + 5)) == Approx(expected).epsilon(1e-6));

  write_npz(dir.file("bad.npz"), {{"mu", mu1}});
  const auto bad = test::run_tool("hold-fid score " + dir.file("a.npz") + " " + dir.file("bad.npz"));
  CHECK(bad.code == 2);
  CHECK(bad.out.find("'sigma'") != std::string::npos);
  CHECK(bad.out.find(dir.file("bad.npz")) != std::string::npos);
}
