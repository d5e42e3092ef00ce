#include "collector/ingest/ingest.h"

#include <algorithm>
#include <future>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/units.h"

namespace paraat {

Ingest::Ingest(Store* store, EvidenceState* state, AgentRegistry* agents, CollectorMetrics* metrics, const Clock* clock,
               Options options)
    : store_(store), state_(state), agents_(agents), metrics_(metrics), clock_(clock), options_(options) {}

Ingest::~Ingest() { Stop(); }

void Ingest::Start() {
  last_checkpoint_ = clock_->Now();
  if (auto stats = store_->Stats(); stats.ok()) head_seq_ = stats->head_seq;
  thread_ = std::thread([this] { Run(); });
}

void Ingest::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Ingest::SetOnCommitted(std::function<void(const std::vector<std::string>&)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  on_committed_ = std::move(fn);
}

void Ingest::Submit(std::unique_ptr<Item> item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) {
      // Not running: refuse rather than hold a record nobody will commit.
      Item* raw = item.get();
      raw->done(absl::UnavailableError("collector is shutting down"), raw->group);
      return;
    }
    queued_records_ += item->group.records.size();
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
}

void Ingest::Append(std::vector<PendingRecord> records, RecordSink::Done done) {
  auto item = std::make_unique<Item>();
  item->group.records = std::move(records);
  item->received = clock_->Now();
  item->done = [done = std::move(done)](const absl::Status& st, const WriteGroup& g) {
    done(st, st.ok() ? g.first_seq : 0);
  };
  Submit(std::move(item));
}

absl::StatusOr<uint64_t> Ingest::AppendAndWait(std::vector<PendingRecord> records) {
  std::promise<absl::StatusOr<uint64_t>> promise;
  auto future = promise.get_future();
  Append(std::move(records), [&promise](const absl::Status& st, uint64_t first_seq) {
    if (st.ok()) {
      promise.set_value(first_seq);
    } else {
      promise.set_value(st);
    }
  });
  return future.get();
}

std::vector<std::pair<uint64_t, uint64_t>> Ingest::TakeCommittedRanges() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(committed_ranges_, {});
}

size_t Ingest::queued_records() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_records_;
}

uint64_t Ingest::head_seq() const { return head_seq_.load(); }

void Ingest::Run() {
  std::vector<std::unique_ptr<Item>> items;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || !queue_.empty(); });
      size_t records = 0;
      while (!queue_.empty() &&
             (items.empty() || records + queue_.front()->group.records.size() <= options_.max_records_per_commit)) {
        records += queue_.front()->group.records.size();
        items.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_records_ -= records;
      if (items.empty() && stopping_) break;
    }
    if (!items.empty()) {
      CommitItems(items);
      items.clear();
    }
    MaybeCheckpoint(false);
    MaybePrune();
  }
  MaybeCheckpoint(true);
}

void Ingest::CommitItems(std::vector<std::unique_ptr<Item>>& items) {
  std::vector<WriteGroup*> groups;
  groups.reserve(items.size());
  size_t records = 0;
  for (auto& item : items) {
    groups.push_back(&item->group);
    records += item->group.records.size();
  }
  const absl::Time start = clock_->Now();
  absl::Status st = store_->Commit(groups, start);
  const absl::Time end = clock_->Now();
  metrics_->commit_duration.Observe(absl::ToDoubleSeconds(end - start));
  metrics_->commit_size.Observe(static_cast<double>(records));
  if (!st.ok()) {
    metrics_->store_errors.Increment();
    LogError("evidence store commit of ", records, " records failed: ", st.message());
    for (auto& item : items) item->done(st, item->group);
    return;
  }

  std::vector<std::string> changed;
  uint64_t stored_records = 0, stored_results = 0, duplicate_results = 0;
  uint64_t first = UINT64_MAX, last = 0;
  for (auto& item : items) {
    const WriteGroup& g = item->group;
    if (g.duplicate) {
      duplicate_results += item->results.size();
      continue;
    }
    stored_records += g.records.size();
    if (!g.records.empty()) {
      first = std::min(first, g.first_seq);
      last = std::max(last, g.first_seq + g.records.size() - 1);
    }
    if (g.first_seq + g.records.size() - 1 > head_seq_) head_seq_ = g.first_seq + g.records.size() - 1;
    if (!item->results.empty()) {
      stored_results += item->results.size();
      for (const auto& r : item->results) changed.push_back(SourceKey(g.agent_id, r.check));
      state_->AddResults(g.agent_id, std::move(item->results), g.first_seq, item->received);
    }
    if (!g.agent_id.empty()) agents_->Seen(g.agent_id, end);
  }
  metrics_->results_received.Increment(static_cast<double>(stored_results));
  metrics_->results_duplicate.Increment(static_cast<double>(duplicate_results));
  metrics_->evidence_records.Increment(static_cast<double>(stored_records));

  std::function<void(const std::vector<std::string>&)> notify;
  {
    std::lock_guard<std::mutex> lock(mu_);
    notify = on_committed_;
    if (last > 0 && options_.track_commits) committed_ranges_.emplace_back(first, last);
  }
  if (notify && !changed.empty()) notify(changed);
  for (auto& item : items) {
    metrics_->ingest_duration.Observe(absl::ToDoubleSeconds(end - item->received));
    item->done(absl::OkStatus(), item->group);
  }
}

void Ingest::MaybeCheckpoint(bool force) {
  const absl::Time now = clock_->Now();
  if (!force && now - last_checkpoint_ < options_.checkpoint_interval) return;
  last_checkpoint_ = now;
  if (options_.maintains && !options_.maintains()) return;
  std::vector<SourceCheckpoint> dirty = state_->TakeDirty();
  if (dirty.empty() && !force) return;
  const uint64_t through = options_.folded_through ? options_.folded_through() : head_seq_.load();
  absl::Status st = store_->SaveCheckpoint(dirty, through);
  if (!st.ok()) {
    metrics_->store_errors.Increment();
    LogWarning("saving the source checkpoint failed (start-up will scan more records): ", st.message());
  }
}

void Ingest::MaybePrune() {
  const absl::Time now = clock_->Now();
  if (now - last_prune_ < options_.prune_interval) return;
  last_prune_ = now;
  if (options_.maintains && !options_.maintains()) return;
  auto removed = store_->Prune(now - options_.retention, now);
  if (!removed.ok()) {
    metrics_->store_errors.Increment();
    LogWarning("pruning evidence older than ", HumanDuration(options_.retention),
               " failed: ", removed.status().message());
  } else if (*removed > 0) {
    LogInfo("pruned ", *removed, " evidence records older than ", HumanDuration(options_.retention));
    if (auto stats = store_->Stats(); stats.ok()) head_seq_ = stats->head_seq;  // with the prune record
  }
}

}  // namespace paraat
