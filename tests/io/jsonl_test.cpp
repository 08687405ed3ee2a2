#include <nlohmann/json.hpp>

#include "hold/core/error.h"
#include "hold/io/jsonl.h"
#include "support/temp_dir.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {

TEST_CASE("JSON-lines records append one per line and read back", "[io][jsonl]") {
  test::TempDir dir;
  const std::string path = dir.file("metrics.jsonl");
  {
    JsonlWriter log(path);
    log.write({{"step", 100}, {"loss", 0.125}, {"sampler", "lt"}});
    log.write({{"step", 200}, {"loss", 0.0625}});
  }
  {
    JsonlWriter resumed(path);  // append: a resumed run keeps the old lines
    resumed.write({{"step", 300}, {"nan", false}});
  }
  const auto records = read_jsonl(path);
  REQUIRE(records.size() == 3);
  CHECK(records[0]["step"] == 100);
  CHECK(records[0]["loss"] == 0.125);
  CHECK(records[0]["sampler"] == "lt");
  CHECK(records[2]["step"] == 300);
  {
    JsonlWriter fresh(path, /*append=*/false);
    fresh.write({{"step", 1}});
  }
  CHECK(read_jsonl(path).size() == 1);
  CHECK_THROWS_AS(JsonlWriter(dir.path() + "/missing/m.jsonl"), UsageError);
}

}  // namespace hold
