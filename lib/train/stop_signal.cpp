#include "hold/train/stop_signal.h"

#include <csignal>

namespace hold {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int sig) {
  if (g_signal == sig) std::signal(sig, SIG_DFL);  // the second time: let it kill
  g_signal = sig;
}

}  // namespace

void install_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // blocking reads and writes resume after the handler
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int stop_signal() { return g_signal; }

void clear_stop_signal() { g_signal = 0; }

}  // namespace hold
