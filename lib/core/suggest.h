#pragma once
// "Did you mean": the nearest valid name to a mistyped one, for the messages
// of unknown config keys, choices and flags.
#include <string>
#include <vector>

namespace hold {

/// Case-insensitive Levenshtein distance.
size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate nearest to `word`, or "" when none is plausibly a typo of it
/// (distance ≤ max(2, a third of the last dotted part)); failing that, the
/// longest dotted candidate that `word` extends or abbreviates
/// (sample.nfe_budget → sample.nfe).
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

/// Throws ConfigError "unknown <what> 'value', did you mean 'x'? valid: a, b (<where>)"
/// unless `value` is one of `choices`.
void check_choice(const std::string& value, const std::vector<std::string>& choices, const std::string& what,
                  const std::string& where);

}  // namespace hold
