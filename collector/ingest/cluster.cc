#include "collector/ingest/cluster.h"

#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace paraat {
namespace {

// Records handed to the ingest writer at a time: bounded memory however far behind the tail is.
constexpr size_t kSlice = 10000;

constexpr char kLeads[] =
    "this collector leads: it evaluates plans, records their state changes and exports plan metrics";

}  // namespace

Cluster::Cluster(Store* store, Ingest* ingest, EvaluationLoop* loop, PlanSet* plans, const Clock* clock,
                 uint64_t folded_through)
    : store_(store),
      ingest_(ingest),
      loop_(loop),
      plans_(plans),
      clock_(clock),
      shared_(store->Shared()),
      tail_cursor_(folded_through),
      thread_(clock) {}

Cluster::~Cluster() { Stop(); }

absl::Status Cluster::Join() {
  if (!shared_) return absl::OkStatus();
  auto lead = store_->TryLead();
  if (!lead.ok()) {
    return absl::Status(lead.status().code(), absl::StrCat(store_->Describe(), ": ", lead.status().message()));
  }
  leading_ = *lead;
  LogInfo(leading_ ? kLeads : "another collector leads (evaluates plans); this one ingests and answers queries");
  return absl::OkStatus();
}

void Cluster::Start() {
  if (shared_) thread_.Start([this] { Run(); });
}

void Cluster::Stop() { thread_.Stop(); }

void Cluster::Run() {
  absl::Duration next_lead = clock_->Monotonic() + absl::Seconds(1);
  while (!thread_.Wait(absl::Milliseconds(250))) {
    Tail(false);
    if (clock_->Monotonic() >= next_lead) {
      UpdateLeadership();
      next_lead = clock_->Monotonic() + absl::Seconds(1);
    }
  }
}

void Cluster::Tail(bool all) {
  for (auto [first, last] : ingest_->TakeCommittedRanges()) own_ranges_[first] = last;
  uint64_t cursor = tail_cursor_;
  bool more = true;
  while (more) {
    more = false;
    StoredEvidence evidence;
    uint64_t scanned = cursor;
    absl::Status st = store_->Scan(cursor + 1, UINT64_MAX, [&](const StoredRecord& r) {
      // Records this collector committed itself are in the state already.
      auto it = own_ranges_.upper_bound(r.seq);
      const bool mine = it != own_ranges_.begin() && std::prev(it)->second >= r.seq;
      if (!mine) evidence.Add(r);
      scanned = r.seq;
      if (evidence.size() >= kSlice) {
        more = all;
        return false;
      }
      return true;
    });
    if (!st.ok()) LogWarning("reading what other collectors stored failed (retrying): ", st.message());
    // The writer folds them in; only then does the cursor pass them (checkpoints rely on it).
    if (absl::Status folded = ingest_->FoldAndWait(std::move(evidence)); !folded.ok()) return;
    cursor = scanned;
    tail_cursor_ = cursor;
    while (!own_ranges_.empty() && own_ranges_.begin()->second <= cursor) own_ranges_.erase(own_ranges_.begin());
    if (!st.ok()) return;
  }
}

void Cluster::UpdateLeadership() {
  auto lead = store_->TryLead();
  if (!lead.ok()) LogWarning("cannot tell whether this collector leads: ", lead.status().message());
  const bool now = lead.ok() && *lead;
  if (now == leading_) return;
  if (!now) {
    leading_ = false;
    plans_->StepDown();
    LogWarning("this collector no longer leads; another collector evaluates plans");
    return;
  }
  // Taking over: fold in everything first, so no state change is recorded from missing results.
  Tail(true);
  if (absl::Status st = plans_->Lead(); !st.ok()) {
    LogWarning("cannot take over as leader yet: ", st.message());
    return;
  }
  leading_ = true;
  LogInfo("this collector now leads: it evaluates plans, records their state changes and exports plan metrics");
  loop_->SourcesChanged({});
}

}  // namespace paraat
