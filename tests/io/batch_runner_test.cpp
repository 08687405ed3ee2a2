// The sharded batch runner (io/batch_runner.h): which items a batch covers,
// its generator, the merge order, one process against two simulated ranks,
// and resuming from the parts an interrupted run left.
#include "hold/io/batch_runner.h"

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "hold/core/error.h"
#include "hold/core/seeds.h"
#include "support/temp_dir.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {
namespace {

/// 10 items in batches of 3 (4 batches, the last of 1), quiet.
BatchRunOptions ten_in_threes(const std::string& parts_dir = "", int64_t rank = 0, int64_t world = 1) {
  BatchRunOptions o;
  o.n = 10;
  o.batch = 3;
  o.seed = 5;
  o.parts_dir = parts_dir;
  o.rank = rank;
  o.world = world;
  o.timeout_s = 5;
  o.show_progress = false;
  return o;
}

/// Work that records the batches it ran: each item's index, its batch and a
/// draw from the batch's generator.
BatchWork recording(std::vector<int64_t>& ran) {
  return [&ran](const Batch& b) -> NamedTensors {
    ran.push_back(b.index);
    return {{"item", at::arange(b.first, b.first + b.count, at::kLong)},
            {"batch", at::full({b.count}, b.index, at::kLong)},
            {"draw", at::randn({b.count}, b.generator)}};
  };
}

}  // namespace

TEST_CASE("batch k covers items k*b to min(n, (k+1)*b) and draws from batch_generator(seed, k)", "[io][batch_runner]") {
  CHECK(batch_count(10, 3) == 4);
  CHECK(batch_count(9, 3) == 3);
  CHECK(batch_count(1, 256) == 1);
  BatchRunner runner(ten_in_threes());
  CHECK(runner.batches() == 4);
  CHECK(runner.count(0) == 3);
  CHECK(runner.count(3) == 1);
  std::vector<int64_t> ran;
  const auto merged = runner.run(recording(ran));
  REQUIRE(merged);
  CHECK(ran == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(at::equal(merged->at("item"), at::arange(10, at::kLong)));
  // The one documented formula: derived_generator(seed, k, kBatchStream) = seed · φ + k + 1.
  for (int64_t k = 0; k < 4; ++k) {
    const at::Tensor expected = at::randn({runner.count(k)}, derived_generator(5, k, kBatchStream));
    CHECK(at::equal(merged->at("draw").slice(0, 3 * k, 3 * k + runner.count(k)), expected));
    CHECK(at::equal(at::randn({4}, batch_generator(5, k)), at::randn({4}, make_generator(derived_seed(5, k, 1)))));
  }
}

TEST_CASE("two ranks sharing parts give the one-process result, merged in the order of k", "[io][batch_runner]") {
  test::TempDir dir;
  std::vector<int64_t> ran_alone;
  const auto alone = BatchRunner(ten_in_threes()).run(recording(ran_alone));
  REQUIRE(alone);

  // Rank 1 finishes first (batches 1 and 3) and returns nothing; rank 0 then
  // draws 0 and 2, finds all parts and merges them.
  const std::string parts = dir.file("parts");
  std::vector<int64_t> ran1, ran0;
  CHECK_FALSE(BatchRunner(ten_in_threes(parts, 1, 2)).run(recording(ran1)));
  CHECK(ran1 == std::vector<int64_t>{1, 3});
  BatchRunner rank0(ten_in_threes(parts, 0, 2));
  CHECK(rank0.finished() == 2);
  const auto merged = rank0.run(recording(ran0));
  REQUIRE(merged);
  CHECK(ran0 == std::vector<int64_t>{0, 2});
  CHECK(merged->size() == 3);
  for (const auto& [name, tensor] : *alone) CHECK(at::equal(merged->at(name), tensor));
  CHECK(at::equal(merged->at("batch"), at::tensor({0, 0, 0, 1, 1, 1, 2, 2, 2, 3}, at::kLong)));
  rank0.remove_parts();
  CHECK(dir.entries().empty());
}

TEST_CASE("a rerun skips the parts an interrupted run saved and ends with the same results", "[io][batch_runner]") {
  test::TempDir dir;
  std::vector<int64_t> ran;
  const auto straight = BatchRunner(ten_in_threes()).run(recording(ran));
  REQUIRE(straight);

  // Interrupted while drawing batch 2: parts 0 and 1 are saved, nothing else.
  const std::string parts = dir.file("run.parts");
  const BatchWork recorded = recording(ran);
  const BatchWork dies_at_2 = [&](const Batch& b) {
    if (b.index == 2) throw std::runtime_error("killed");
    return recorded(b);
  };
  CHECK_THROWS_AS(BatchRunner(ten_in_threes(parts)).run(dies_at_2), std::runtime_error);

  BatchRunner again(ten_in_threes(parts));
  CHECK(again.finished() == 2);
  int calls = 0;
  std::vector<int64_t> rerun;
  const BatchWork counted = recording(rerun);
  const auto resumed = again.run([&](const Batch& b) {
    ++calls;
    return counted(b);
  });
  REQUIRE(resumed);
  CHECK(calls == 2);
  CHECK(rerun == std::vector<int64_t>{2, 3});
  for (const auto& [name, tensor] : *straight) CHECK(at::equal(resumed->at(name), tensor));
}

TEST_CASE("the merge concatenates each name over the batches holding it; bad setups are errors", "[io][batch_runner]") {
  const NamedTensors first = {{"x", at::zeros({2, 3})}, {"only_first", at::ones({4})}};
  const NamedTensors second = {{"x", at::ones({1, 3})}};
  const NamedTensors merged = concatenate_batches({first, second});
  CHECK(merged.at("x").sizes() == at::IntArrayRef({3, 3}));
  CHECK(merged.at("x")[2].sum().item<double>() == 3.0);
  CHECK(at::equal(merged.at("only_first"), at::ones({4})));
  CHECK_THROWS_AS(concatenate_batches({first, {{"x", at::ones({1, 4})}}}), Error);

  CHECK_THROWS_AS(BatchRunner(ten_in_threes("", 0, 2)), Error);  // two processes need part files
  CHECK_THROWS_AS(BatchRunner(ten_in_threes("", 2, 2)), Error);
  BatchRunOptions empty = ten_in_threes();
  empty.n = 0;
  CHECK_THROWS_AS(BatchRunner(empty), Error);
}

}  // namespace hold
