#include "hold/core/suggest.h"

#include <algorithm>
#include <cctype>

#include "hold/core/error.h"
#include "hold/core/format.h"

namespace hold {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      const bool same =
          std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_d) best = c, best_d = d;
  }
  const size_t leaf = word.size() - (word.rfind('.') == std::string::npos ? 0 : word.rfind('.') + 1);
  if (best_d <= std::max<size_t>(2, leaf / 3)) return best;
  best.clear();
  for (const auto& c : candidates) {
    const bool related = word.rfind(c, 0) == 0 || c.rfind(word, 0) == 0;
    if (related && c.find('.') != std::string::npos && c.size() > best.size()) best = c;
  }
  return best;
}

void check_choice(const std::string& value, const std::vector<std::string>& choices, const std::string& what,
                  const std::string& where) {
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) return;
  const std::string guess = nearest(value, choices);
  throw ConfigError("unknown " + what + " '" + value + "', " + (guess.empty() ? "" : "did you mean '" + guess + "'? ") +
                    "valid: " + join(choices) + " (" + where + ")");
}

}  // namespace hold
