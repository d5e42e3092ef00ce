// Signal handling for the daemons: SIGINT/SIGTERM stop, SIGHUP reloads. Nothing here fails:
// the signal set is fixed, and WaitForSignal() waits again when sigwait is interrupted.
//
// Call BlockShutdownSignals() first thing in main(), before any thread starts, so every
// thread inherits the mask; then wait for signals on one thread with WaitForSignal().
#ifndef PARAAT_COMMON_SIGNALS_H_
#define PARAAT_COMMON_SIGNALS_H_

#include "absl/time/time.h"

namespace paraat {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and threads it creates), and
// ignores SIGPIPE (writes to closed sockets and pipes fail with EPIPE instead).
void BlockShutdownSignals();
// Waits for one of the blocked signals and returns its number.
int WaitForSignal();
// Waits at most `timeout` for one of them: its number, or 0 when none came in time.
int WaitForSignalFor(absl::Duration timeout);
// Sends SIGTERM to this process, waking WaitForSignal() (used when a component fails).
void RequestShutdown();

}  // namespace paraat

#endif  // PARAAT_COMMON_SIGNALS_H_
