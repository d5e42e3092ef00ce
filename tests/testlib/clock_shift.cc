// An LD_PRELOAD library that shifts a process's wall clock, and nothing else: clock_gettime()
// for CLOCK_REALTIME (and its coarse variant), gettimeofday() and time() return the real time
// plus an offset; CLOCK_MONOTONIC and every other clock are left alone. The offset (int64
// nanoseconds, native byte order) is read on every call from the first 8 bytes of the file named
// by PARAAT_CLOCK_SHIFT_FILE, mapped once: a test steps the clock of a running process by
// writing new bytes in place (ClockShift in clock_shift.h). Without the variable, or when the
// file cannot be mapped, the offset is 0.
//
// libfaketime does this too, but it also intercepts timed waits, which hangs the collector's
// gRPC threads; this shim touches only the three calls that read the wall clock.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>

namespace {

using ClockGettimeFn = int (*)(clockid_t, struct timespec*);

std::atomic<const std::atomic<int64_t>*> g_offset{nullptr};
std::atomic<bool> g_mapped{false};

const std::atomic<int64_t>* Offset() {
  if (g_mapped.load(std::memory_order_acquire)) return g_offset.load(std::memory_order_acquire);
  const std::atomic<int64_t>* mapped = nullptr;
  if (const char* path = std::getenv("PARAAT_CLOCK_SHIFT_FILE")) {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      struct stat st;
      if (::fstat(fd, &st) == 0 && st.st_size >= 8) {
        void* p = ::mmap(nullptr, 8, PROT_READ, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) mapped = static_cast<const std::atomic<int64_t>*>(p);
      }
      ::close(fd);
    }
  }
  g_offset.store(mapped, std::memory_order_release);
  g_mapped.store(true, std::memory_order_release);
  return mapped;
}

int64_t ShiftNs() {
  const std::atomic<int64_t>* o = Offset();
  return o == nullptr ? 0 : o->load(std::memory_order_relaxed);
}

ClockGettimeFn RealClockGettime() {
  static ClockGettimeFn fn = reinterpret_cast<ClockGettimeFn>(::dlsym(RTLD_NEXT, "clock_gettime"));
  return fn;
}

void Shift(struct timespec* ts) {
  const int64_t ns = static_cast<int64_t>(ts->tv_sec) * 1'000'000'000 + ts->tv_nsec + ShiftNs();
  ts->tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  ts->tv_nsec = static_cast<long>(ns % 1'000'000'000);
  if (ts->tv_nsec < 0) {
    ts->tv_nsec += 1'000'000'000;
    --ts->tv_sec;
  }
}

}  // namespace

extern "C" {

int clock_gettime(clockid_t clock, struct timespec* ts) {
  const int rc = RealClockGettime()(clock, ts);
  if (rc == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) Shift(ts);
  return rc;
}

int gettimeofday(struct timeval* tv, void*) {
  struct timespec ts;
  const int rc = clock_gettime(CLOCK_REALTIME, &ts);
  if (rc == 0) {
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  return rc;
}

time_t time(time_t* out) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (out != nullptr) *out = ts.tv_sec;
  return ts.tv_sec;
}

}  // extern "C"
