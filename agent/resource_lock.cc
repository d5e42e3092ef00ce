#include "agent/resource_lock.h"

#include <chrono>
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
    g_cv.wait_for(lock, std::chrono::milliseconds(200));
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
