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

}  // namespace hold
