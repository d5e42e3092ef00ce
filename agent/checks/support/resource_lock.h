// Checks of one agent that use the same resource (a restic or borg repository) take turns, so
// the agent's own integrity check never finds the repository locked by the agent's own restore
// test. Waiting ends early when the check is cancelled (deadline or shutdown); it waits on the
// check's clock. Thread-safe: guards of different threads exclude each other by key.
#ifndef PARAAT_AGENT_CHECKS_SUPPORT_RESOURCE_LOCK_H_
#define PARAAT_AGENT_CHECKS_SUPPORT_RESOURCE_LOCK_H_

#include <string>

#include "agent/check.h"

namespace paraat {

class ResourceGuard {
 public:
  ResourceGuard(const std::string& key, const CheckContext& ctx);
  ~ResourceGuard();
  ResourceGuard(const ResourceGuard&) = delete;
  ResourceGuard& operator=(const ResourceGuard&) = delete;
  // False when the wait was cancelled before the resource became free.
  bool held() const { return held_; }

 private:
  std::string key_;
  bool held_ = false;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_SUPPORT_RESOURCE_LOCK_H_
