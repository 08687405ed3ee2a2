// Progress bar text: durations, rates, ETA, and the log-mode cadence.
#include <cstdio>

#include "hold/io/progress.h"

// Last: torch headers (glog) define CHECK too; Catch's must win.
#include <catch2/catch.hpp>

namespace hold {

TEST_CASE("durations and rates are formatted like tqdm", "[io][progress]") {
  CHECK(format_duration(0) == "00:00");
  CHECK(format_duration(75.9) == "01:15");
  CHECK(format_duration(3599) == "59:59");
  CHECK(format_duration(3725) == "1:02:05");
  CHECK(format_duration(-1) == "?");
  CHECK(format_rate(37.5) == "37.50 it/s");
  CHECK(format_rate(0.4) == "2.50 s/it");
  CHECK(format_rate(0) == "? it/s");
}

TEST_CASE("a progress line shows percent, bar, count, elapsed, ETA, rate and postfix", "[io][progress]") {
  // 450 of 1000 in 12 s: 37.5 it/s, 550 left → ETA 14.67 s.
  CHECK(format_progress("train", 450, 1000, 12.0, "loss=0.123", 10) ==
        "train  45%|####      | 450/1000 [00:12<00:14, 37.50 it/s] loss=0.123");
  CHECK(format_progress("sample", 1000, 1000, 100.0, "", 4) == "sample 100%|####| 1000/1000 [01:40<00:00, 10.00 it/s]");
  CHECK(format_progress("x", 0, 10, 0.0, "", 2) == "x   0%|  | 0/10 [00:00<?, ? it/s]");
  // Unknown total: no percentage, bar or ETA.
  CHECK(format_progress("ode", 42, 0, 2.0) == "ode 42 [00:02, 21.00 it/s]");
}

TEST_CASE("without a terminal the bar prints one line per 5 percent", "[io][progress]") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f);
  {
    ProgressBar bar("steps", 200, f, /*interactive=*/false);
    for (int i = 0; i <= 200; ++i) bar.update(i, "loss=1");
  }  // the destructor prints the final line
  std::rewind(f);
  int lines = 0, last = 0;
  char buf[256];
  std::string final_line;
  while (std::fgets(buf, sizeof buf, f)) ++lines, final_line = buf;
  std::fclose(f);
  (void)last;
  CHECK(lines == 21);  // 0 %, 5 %, …, 95 %, then the final 100 % line
  CHECK(final_line.rfind("steps 100%|", 0) == 0);
  CHECK(final_line.find("200/200") != std::string::npos);
  CHECK(final_line.find("loss=1\n") != std::string::npos);
}

}  // namespace hold
