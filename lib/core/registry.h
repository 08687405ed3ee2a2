#pragma once
// One registry per family of named choices (SDE presets, samplers, ODE
// solvers, objectives, weightings, networks, data sets, schedules, ...).
// An entry carries its name, its help text and whatever the family needs to
// validate and build it; the config validation, the error messages ("did you
// mean"), --help and docs/configuration.md's lists all read the same entries
// (tests/docs/registry_docs_test.cpp keeps the docs in step). A string is
// looked up once, when a config is validated or an object is built; hot paths
// hold the entry or its enum value.
//   const Registry<Choice<LrSchedule>>& r = lr_schedule_registry();
//   LrSchedule s = r.at(config.lr_schedule, "train.lr_schedule").value;
#include <string>
#include <utility>
#include <vector>

#include "hold/core/suggest.h"

namespace hold {

/// The entry of an enum-like choice.
template <class E>
struct Choice {
  std::string name;
  E value;
  std::string help;
};

/// The entries of one family; `Entry` has `name` and `help` members.
template <class Entry>
class Registry {
 public:
  /// `what` names the family in messages ("sampler", "SDE preset"); `key` is
  /// the config key that picks an entry ("sample.method"), for messages and docs.
  Registry(std::string what, std::string key, std::vector<Entry> entries)
      : what_(std::move(what)), key_(std::move(key)), entries_(std::move(entries)) {}

  const std::string& what() const { return what_; }
  const std::string& key() const { return key_; }
  const std::vector<Entry>& entries() const { return entries_; }

  /// The entry called `name`, or nullptr.
  const Entry* find(const std::string& name) const {
    for (const auto& e : entries_) {
      if (e.name == name) return &e;
    }
    return nullptr;
  }
  /// The entry called `name`; ConfigError "unknown <what> 'x', did you mean
  /// 'y'? valid: a, b (<where>)" otherwise. `where` defaults to the key.
  const Entry& at(const std::string& name, const std::string& where = "") const {
    if (const Entry* e = find(name)) return *e;
    check_choice(name, names(), what_, where.empty() ? key_ : where);
    return entries_.front();  // not reached: check_choice threw
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.name);
    return out;
  }
  /// "a | b | c", for --help.
  std::string choices() const {
    std::string out;
    for (const auto& e : entries_) out += (out.empty() ? "" : " | ") + e.name;
    return out;
  }

 private:
  std::string what_;
  std::string key_;
  std::vector<Entry> entries_;
};

}  // namespace hold
