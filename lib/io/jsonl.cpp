#include "hold/io/jsonl.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>

#include "hold/core/error.h"

namespace hold {

JsonlWriter::JsonlWriter(std::string path, bool append)
    : path_(std::move(path)), out_(path_, append ? std::ios::app : std::ios::trunc) {
  if (!out_) throw UsageError(std::string("cannot open metrics file: ") + std::strerror(errno) + " (" + path_ + ")");
}

void JsonlWriter::write(const nlohmann::json& record) {
  // dump(): compact, one line; invalid UTF-8 is replaced rather than thrown.
  out_ << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  out_.flush();
  if (!out_) throw UsageError("cannot write metrics file (" + path_ + ")");
}

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError(std::string("cannot open metrics file: ") + std::strerror(errno) + " (" + path + ")");
  std::vector<nlohmann::json> records;
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      records.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception& e) {
      throw UsageError(std::string("malformed JSON line: ") + e.what() + " (" + path + ":" + std::to_string(line_no) +
                       ")");
    }
  }
  return records;
}

}  // namespace hold
