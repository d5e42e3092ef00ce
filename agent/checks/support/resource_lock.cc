#include "agent/checks/support/resource_lock.h"

#include <condition_variable>
#include <mutex>
#include <set>

namespace paraat {
namespace {
std::mutex g_mu;
std::condition_variable g_cv;
std::set<std::string>* g_busy = new std::set<std::string>();
}  // namespace

ResourceGuard::ResourceGuard(const std::string& key, const CheckContext& ctx) : key_(key) {
  std::unique_lock<std::mutex> lock(g_mu);
  while (g_busy->count(key_)) {
    if (ctx.cancelled()) return;
    // Released resources notify; the timeout is how soon a cancellation is noticed.
    ctx.clock->WaitFor(g_cv, lock, absl::Milliseconds(200), [&] { return g_busy->count(key_) == 0; });
  }
  g_busy->insert(key_);
  held_ = true;
}

ResourceGuard::~ResourceGuard() {
  if (!held_) return;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_busy->erase(key_);
  }
  g_cv.notify_all();
}

}  // namespace paraat
