#pragma once
// The message of the UsageError a call throws, for tests of one-line errors:
//   CHECK_THAT(message_of([&] { read_cifar10(dir, "val"); }), Catch::Contains("unknown split"));
#include <functional>
#include <string>

#include "hold/core/error.h"

namespace hold::test {

inline std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}

}  // namespace hold::test
