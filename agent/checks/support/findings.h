// A check's findings, each a clause of its message, for kinds that judge several things in one
// run (a backup system's newest job, its verification, its own health check): the worst status
// wins and every clause is said, in order.
//
//   Findings f;
//   f.Add(CHECK_STATUS_OK, "newest backup job 12 at 2026-12-01T01:00:00Z");
//   f.Add(CHECK_STATUS_WARNING, "it completed with 1 warnings: Could not stat \"/srv/x\"");
//   f.Apply(r);   // warning: "newest backup job 12 ...; it completed with 1 warnings: ..."
//
// Not thread-safe (a value of one run).
#ifndef PARAAT_AGENT_CHECKS_SUPPORT_FINDINGS_H_
#define PARAAT_AGENT_CHECKS_SUPPORT_FINDINGS_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "agent/check.h"

namespace paraat {

class Findings {
 public:
  void Add(paraat::v1::CheckStatus status, std::string clause) {
    status_ = std::max(status_, status);
    if (!clause.empty()) clauses_.push_back(std::move(clause));
  }
  paraat::v1::CheckStatus status() const { return status_; }
  // Sets the result's status and message.
  void Apply(paraat::v1::Result* r) const { SetStatus(r, status_, absl::StrJoin(clauses_, "; ")); }

 private:
  paraat::v1::CheckStatus status_ = paraat::v1::CHECK_STATUS_OK;
  std::vector<std::string> clauses_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_SUPPORT_FINDINGS_H_
