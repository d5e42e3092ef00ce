// A thread that runs a loop until it is told to stop, and waits between rounds through a Clock
// (so a FakeClock drives it in tests). Stop() wakes a wait at once and joins.
//
//   BackgroundThread worker(clock);
//   worker.Start([&] {
//     while (!worker.Wait(absl::Seconds(1))) DoRound();
//   });
//   ...
//   worker.Stop();
//
// Thread-safety: Start() and Stop() from one thread; Wait() and stopping() from the loop.
#ifndef PARAAT_COMMON_BACKGROUND_THREAD_H_
#define PARAAT_COMMON_BACKGROUND_THREAD_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "common/clock.h"

namespace paraat {

class BackgroundThread {
 public:
  explicit BackgroundThread(const Clock* clock) : clock_(clock) {}
  ~BackgroundThread() { Stop(); }
  BackgroundThread(const BackgroundThread&) = delete;
  BackgroundThread& operator=(const BackgroundThread&) = delete;

  void Start(std::function<void()> loop);
  // Tells the loop to stop, wakes its wait and joins. Idempotent.
  void Stop();
  // Waits `d` of the clock's monotonic time; true (at once) when the thread is to stop.
  bool Wait(absl::Duration d);
  bool stopping();

 private:
  const Clock* const clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace paraat

#endif  // PARAAT_COMMON_BACKGROUND_THREAD_H_
