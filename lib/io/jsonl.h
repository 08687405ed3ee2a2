#pragma once
// JSON-lines metrics files: one JSON object per line, appended and flushed
// record by record, so a crashed or resumed run keeps every line written.
//   JsonlWriter log(workdir + "/metrics.jsonl");
//   log.write({{"step", 100}, {"loss", 0.123}, {"lr", 1e-3}});
// (The record is an nlohmann::json; the caller includes <nlohmann/json.hpp>.)
#include <nlohmann/json_fwd.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace hold {

class JsonlWriter {
 public:
  /// Opens `path` for appending (append = false truncates it). Throws
  /// UsageError naming the path when it cannot be opened.
  explicit JsonlWriter(std::string path, bool append = true);
  /// Writes one record (compact, on one line) and flushes; throws UsageError on
  /// a failed write (e.g. disk full).
  void write(const nlohmann::json& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

/// Every record of a JSON-lines file (blank lines skipped); UsageError naming
/// the path and line on a malformed line.
std::vector<nlohmann::json> read_jsonl(const std::string& path);

}  // namespace hold
