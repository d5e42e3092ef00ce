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
// The heartbeat's latency may take this much of the lease: a leader stops recording this long
// before the store can hand the lead to another.
constexpr absl::Duration kLeaseMargin = absl::Seconds(1);

constexpr char kLeads[] =
    "this collector leads: it evaluates plans, records their state changes and exports plan metrics";

}  // namespace

Cluster::Cluster(Store* store, Ingest* ingest, EvaluationLoop* loop, PlanSet* plans, const Clock* clock,
                 uint64_t folded_through, StoreHealth* health)
    : store_(store),
      ingest_(ingest),
      loop_(loop),
      plans_(plans),
      clock_(clock),
      health_(health),
      shared_(store->Shared()),
      lease_(store->LeaderLease() - kLeaseMargin),
      tail_cursor_(folded_through),
      tail_thread_(clock),
      lease_thread_(clock) {}

Cluster::~Cluster() { Stop(); }

bool Cluster::lease_valid() const {
  if (!shared_) return true;
  if (!leading_ || !store_says_lead_) return false;
  return clock_->Monotonic() - absl::Nanoseconds(confirmed_ns_.load()) < lease_;
}

void Cluster::Failed(absl::string_view what, const absl::Status& st) {
  if (health_ != nullptr) {
    health_->Failed(what, st);
  } else {
    LogWarning(what, ": ", st.message());
  }
}

absl::Status Cluster::Join() {
  if (!shared_) return absl::OkStatus();
  auto lead = store_->TryLead();
  if (!lead.ok()) {
    return absl::Status(lead.status().code(), absl::StrCat(store_->Describe(), ": ", lead.status().message()));
  }
  leading_ = store_says_lead_ = *lead;
  confirmed_ns_ = absl::ToInt64Nanoseconds(clock_->Monotonic());
  LogInfo(leading_ ? kLeads : "another collector leads (evaluates plans); this one ingests and answers queries");
  return absl::OkStatus();
}

void Cluster::Start() {
  if (!shared_) return;
  tail_thread_.Start([this] { RunTail(); });
  lease_thread_.Start([this] { RunLease(); });
}

void Cluster::Stop() {
  lease_thread_.Stop();
  tail_thread_.Stop();
}

void Cluster::RunTail() {
  while (!tail_thread_.Wait(absl::Milliseconds(250))) {
    Tail(false);
    FollowLease();
  }
}

// The heartbeat, and nothing else: it must not wait behind the tail or a takeover.
void Cluster::RunLease() {
  while (!lease_thread_.Wait(absl::Seconds(1))) {
    const absl::Duration asked = clock_->Monotonic();
    auto lead = store_->TryLead();
    if (!lead.ok()) {
      // Unreachable: nobody can tell who leads. Nothing changes here; the lease runs out by itself.
      Failed("checking the leadership", lead.status());
      continue;
    }
    if (*lead) confirmed_ns_ = absl::ToInt64Nanoseconds(asked);
    store_says_lead_ = *lead;
  }
}

void Cluster::FollowLease() {
  const bool lead = store_says_lead_;
  if (lead == leading_) return;
  if (!lead) {
    leading_ = false;
    plans_->StepDown();
    LogWarning(
        "this collector no longer leads (its lease ended: it was frozen, cut off or its database session "
        "ended); the collector holding the lead now evaluates plans");
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
    if (!st.ok()) Failed("reading what other collectors stored", st);
    // The writer folds them in; only then does the cursor pass them (checkpoints rely on it).
    if (absl::Status folded = ingest_->FoldAndWait(std::move(evidence)); !folded.ok()) return;
    cursor = scanned;
    tail_cursor_ = cursor;
    while (!own_ranges_.empty() && own_ranges_.begin()->second <= cursor) own_ranges_.erase(own_ranges_.begin());
    if (!st.ok()) return;
  }
}

}  // namespace paraat
