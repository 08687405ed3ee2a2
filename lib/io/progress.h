#pragma once
// A terminal progress bar on stderr for apps/ (lib/ never prints progress; the
// apps drive a ProgressBar from a sampler's StepCallback or the training loop).
//
//   train  45%|#############                | 450/1000 [00:12<00:15, 37.50 it/s] loss=0.123
//
// On a terminal the line is redrawn in place at most ~10 times a second; when
// stderr is not a terminal (logs, CI) a plain line is printed at every 5 % and
// at the end, so log files stay short.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace hold {

/// "MM:SS", or "H:MM:SS" from an hour on; "?" for a negative or non-finite time.
std::string format_duration(double seconds);

/// "37.50 it/s" for ≥ 1 it/s, "2.50 s/it" below (tqdm's convention); "? it/s" when unknown.
std::string format_rate(double items_per_second);

/// The whole line for n of total items after `elapsed` seconds (pure; tested):
/// label, percentage, a bar of `bar_width` cells, n/total, [elapsed<ETA, rate],
/// postfix. With total ≤ 0 (unknown) the percentage, bar and ETA are left out.
/// ETA = (total − n) / rate with rate = n / elapsed.
std::string format_progress(const std::string& label, int64_t n, int64_t total, double elapsed_seconds,
                            const std::string& postfix = "", int bar_width = 30);

class ProgressBar {
 public:
  /// total ≤ 0: unknown. `stream` defaults to stderr; `interactive` to isatty(stream).
  ProgressBar(std::string label, int64_t total, FILE* stream = nullptr);
  /// Forces terminal (redraw) or log (5 % lines) mode; for tests.
  ProgressBar(std::string label, int64_t total, FILE* stream, bool interactive);
  ~ProgressBar();

  /// Sets the position to n (absolute) and the postfix (e.g. "loss=0.123").
  void update(int64_t n, const std::string& postfix = "");
  /// Advances by `by` items, keeping the postfix.
  void advance(int64_t by = 1) { update(n_ + by, postfix_); }
  /// Sets a new total (adaptive samplers re-estimate their step count).
  void set_total(int64_t total) { total_ = total; }
  /// Draws the final line and ends it with a newline (the destructor calls it).
  void finish();
  /// Draws nothing from now on (ranks other than 0 of a multi-process run).
  void mute() { finished_ = true; }

 private:
  void draw(bool final_line);
  double elapsed() const;

  std::string label_;
  int64_t total_;
  FILE* stream_;
  bool interactive_;
  int64_t n_ = 0;
  std::string postfix_;
  std::chrono::steady_clock::time_point start_;
  double last_draw_ = -1.0;
  int last_logged_step_ = -1;  ///< log mode: the last 5 % step printed
  bool finished_ = false;
};

}  // namespace hold
