#pragma once
// The SDE of a preset with its default parameters, for tests.
#include <string>

#include "hold/sde/presets.h"

namespace hold {

inline LinearSde preset(const std::string& name) {
  SdeConfig c;
  c.name = name;
  return make_sde(c);
}

/// The same with the order K of the presets that take one (hold).
inline LinearSde preset(const std::string& name, int order) {
  SdeConfig c;
  c.name = name;
  c.order = order;
  return make_sde(c);
}

}  // namespace hold
