#include "hold/io/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace hold {
namespace {

constexpr double kRedrawInterval = 0.1;  // seconds: at most ~10 redraws a second
constexpr int kLogSteps = 20;            // log mode: one line per 5 %

}  // namespace

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) return "?";
  const auto total = static_cast<int64_t>(seconds);
  const int64_t h = total / 3600, m = (total / 60) % 60, s = total % 60;
  char buf[32];
  if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(h), static_cast<long long>(m),
                  static_cast<long long>(s));
  } else {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(m), static_cast<long long>(s));
  }
  return buf;
}

std::string format_rate(double items_per_second) {
  char buf[32];
  if (!(items_per_second > 0) || !std::isfinite(items_per_second)) return "? it/s";
  if (items_per_second >= 1.0) {
    std::snprintf(buf, sizeof buf, "%.2f it/s", items_per_second);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f s/it", 1.0 / items_per_second);
  }
  return buf;
}

std::string format_progress(const std::string& label, int64_t n, int64_t total, double elapsed_seconds,
                            const std::string& postfix, int bar_width) {
  const double rate = elapsed_seconds > 0 ? static_cast<double>(n) / elapsed_seconds : 0.0;
  std::string line = label;
  char buf[64];
  if (total > 0) {
    const double frac = std::clamp(static_cast<double>(n) / static_cast<double>(total), 0.0, 1.0);
    std::snprintf(buf, sizeof buf, " %3d%%|", static_cast<int>(std::floor(frac * 100.0)));
    line += buf;
    const int filled = static_cast<int>(std::floor(frac * bar_width));
    line += std::string(filled, '#') + std::string(bar_width - filled, ' ') + "| ";
    line += std::to_string(n) + "/" + std::to_string(total);
    const double eta = rate > 0 ? static_cast<double>(std::max<int64_t>(total - n, 0)) / rate : -1.0;
    line += " [" + format_duration(elapsed_seconds) + "<" + format_duration(eta) + ", " + format_rate(rate) + "]";
  } else {
    line += " " + std::to_string(n) + " [" + format_duration(elapsed_seconds) + ", " + format_rate(rate) + "]";
  }
  if (!postfix.empty()) line += " " + postfix;
  return line;
}

ProgressBar::ProgressBar(std::string label, int64_t total, FILE* stream)
    : ProgressBar(std::move(label), total, stream ? stream : stderr,
                  static_cast<bool>(::isatty(::fileno(stream ? stream : stderr)))) {}

ProgressBar::ProgressBar(std::string label, int64_t total, FILE* stream, bool interactive)
    : label_(std::move(label)),
      total_(total),
      stream_(stream ? stream : stderr),
      interactive_(interactive),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

double ProgressBar::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::update(int64_t n, const std::string& postfix) {
  n_ = n;
  postfix_ = postfix;
  if (finished_) return;
  const double now = elapsed();
  if (interactive_) {
    if (now - last_draw_ >= kRedrawInterval || (total_ > 0 && n_ >= total_)) draw(false), last_draw_ = now;
    return;
  }
  if (total_ > 0) {
    const int step = static_cast<int>(std::min<int64_t>(n_ * kLogSteps / total_, kLogSteps));
    if (step > last_logged_step_ && step < kLogSteps) draw(false), last_logged_step_ = step;
  }
}

void ProgressBar::draw(bool final_line) {
  const std::string line = format_progress(label_, n_, total_, elapsed(), postfix_);
  if (interactive_) {
    // \r: back to the line start; \x1b[K: clear what a longer previous line left.
    std::fprintf(stream_, "\r%s\x1b[K%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(stream_, "%s\n", line.c_str());
  }
  std::fflush(stream_);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

}  // namespace hold
