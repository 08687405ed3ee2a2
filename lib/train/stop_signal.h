#pragma once
// SIGINT and SIGTERM ask a long run to stop at the next safe point instead of
// dying mid-step: hold-train then writes a checkpoint and exits (128 + signal),
// and --resume continues exactly where it stopped. A second signal of the same
// kind while stopping restores the default action (a user who presses Ctrl-C
// twice means it). SIGKILL cannot be caught: atomic checkpoint writes
// (io/atomic_file.h) keep the last complete checkpoint intact instead.
namespace hold {

/// Installs the handlers (idempotent).
void install_stop_signals();
/// The signal that asked to stop, or 0.
int stop_signal();
/// Forget a request (tests).
void clear_stop_signal();

}  // namespace hold
