#pragma once
// The error hierarchy of hold (style.md §5.6). lib/ throws; only apps/ catch.
//   UsageError / ConfigError: the user's mistake -> exit code 2.
//   NumericalError: a factorisation or integration failed -> exit code 1.
// Messages follow the CLI contract "<what> (<where>)".
#include <stdexcept>
#include <string>

namespace hold {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad command-line usage or a bad file given by the user (exit 2).
class UsageError : public Error {
 public:
  using Error::Error;
};

/// A config key that is unknown, mistyped, out of range or impossible (exit 2).
class ConfigError : public UsageError {
 public:
  using UsageError::UsageError;
};

/// A numerical failure: names the SDE, the time and the matrix (exit 1).
class NumericalError : public Error {
 public:
  using Error::Error;
};

/// A module's config check: throws ConfigError("<what> (<section>.<key>)") unless ok.
/// io/config rewrites the trailing "(section.key)" to where the key was set.
inline void require_key(bool ok, const char* section, const char* key, const std::string& what) {
  if (!ok) throw ConfigError(what + " (" + section + "." + key + ")");
}

}  // namespace hold
