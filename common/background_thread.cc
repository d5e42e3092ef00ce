#include "common/background_thread.h"

namespace paraat {

void BackgroundThread::Start(std::function<void()> loop) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread(std::move(loop));
}

void BackgroundThread::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool BackgroundThread::Wait(absl::Duration d) {
  std::unique_lock<std::mutex> lock(mu_);
  return clock_->WaitFor(cv_, lock, d, [&] { return stopping_; });
}

bool BackgroundThread::stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

}  // namespace paraat
