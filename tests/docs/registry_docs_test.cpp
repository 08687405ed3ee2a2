// docs/configuration.md lists every choice of every registry (core/registry.h),
// in the registry's order: the "valid" column of the key's row starts with the
// names, backticked and comma-separated (text after a ';' or '(' may follow).
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "hold/core/error.h"
#include "hold/data/data_config.h"
#include "hold/likelihood/likelihood.h"
#include "hold/models/factory.h"
#include "hold/models/model_config.h"
#include "hold/objectives/objective.h"
#include "hold/samplers/inpaint.h"
#include "hold/samplers/sampler_registry.h"
#include "hold/sde/presets.h"
#include "hold/train/distributed.h"
#include "hold/train/train_config.h"

namespace {

std::string read_docs() {
  std::ifstream in(std::string(HOLD_SOURCE_DIR) + "/docs/configuration.md");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The last cell of the row of `section.key` (the table under "## `section:`").
std::string valid_cell(const std::string& docs, const std::string& dotted_key) {
  const auto dot = dotted_key.find('.');
  const std::string section = dotted_key.substr(0, dot), key = dotted_key.substr(dot + 1);
  const auto start = docs.find("## `" + section + ":`");
  if (start == std::string::npos) return "";
  const auto end = docs.find("\n## ", start + 1);
  std::istringstream rows(docs.substr(start, end == std::string::npos ? std::string::npos : end - start));
  for (std::string line; std::getline(rows, line);) {
    if (line.rfind("| `" + key + "` |", 0) != 0) continue;
    const auto last = line.rfind('|', line.size() - 2);
    return line.substr(last + 1, line.size() - last - 2);
  }
  return "";
}

/// The backticked names at the start of a cell, before any ';' or '('.
std::vector<std::string> listed_names(const std::string& cell) {
  const std::string head = cell.substr(0, cell.find_first_of(";("));
  std::vector<std::string> names;
  static const std::regex name_re("`([^`]+)`");
  for (std::sregex_iterator it(head.begin(), head.end(), name_re), end; it != end; ++it) names.push_back((*it)[1]);
  return names;
}

template <class R>
void check_documented(const std::string& docs, const R& registry) {
  INFO(registry.key());
  const std::string cell = valid_cell(docs, registry.key());
  REQUIRE_FALSE(cell.empty());
  CHECK(listed_names(cell) == registry.names());
  for (const auto& entry : registry.entries()) CHECK_FALSE(entry.help.empty());
}

}  // namespace

TEST_CASE("docs/configuration.md lists every registry's choices in order", "[docs][registry]") {
  using namespace hold;
  const std::string docs = read_docs();
  REQUIRE_FALSE(docs.empty());
  check_documented(docs, sde_preset_registry());
  check_documented(docs, data_set_registry());
  check_documented(docs, network_registry());
  check_documented(docs, time_embedding_registry());
  check_documented(docs, resblock_registry());
  check_documented(docs, output_pyramid_registry());
  check_documented(docs, input_pyramid_registry());
  check_documented(docs, pyramid_combine_registry());
  check_documented(docs, dense_registry());
  check_documented(docs, channels_last_registry());
  check_documented(docs, objective_registry());
  check_documented(docs, weighting_registry());
  check_documented(docs, objective_target_registry());
  check_documented(docs, hdsm_estimator_registry());
  check_documented(docs, hdsm_form_registry());
  check_documented(docs, lr_schedule_registry());
  check_documented(docs, precision_registry());
  check_documented(docs, sampler_registry());
  check_documented(docs, ode_solver_registry());
  check_documented(docs, grid_registry());
  check_documented(docs, ei_frame_registry());
  check_documented(docs, inpaint_method_registry());
  check_documented(docs, trace_registry());
  check_documented(docs, probe_registry());
  check_documented(docs, backend_registry());
}

TEST_CASE("a registry names the nearest choice of a typo and the key", "[registry]") {
  try {
    hold::sampler_registry().at("eem");
    FAIL("no error");
  } catch (const hold::ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "unknown sampler 'eem', did you mean 'em'? valid: em, lt, pc, ode, ei, dpmpp2m, edm (sample.method)");
  }
  CHECK(hold::sampler_registry().choices() == "em | lt | pc | ode | ei | dpmpp2m | edm");
  CHECK(hold::sampler_registry().find("lt") != nullptr);
  CHECK(hold::sampler_registry().find("LT") == nullptr);
}
