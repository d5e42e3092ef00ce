#include "collector/ingest/ingest.h"

#include <algorithm>
#include <future>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {
namespace {

// Stored records decoded and folded at a time while restoring: bounded memory however many
// results came after the last checkpoint.
constexpr size_t kRestoreSlice = 10000;
// Sources whose backup and restore history is read back at a time while restoring: at most
// 64 × 160 records in memory.
constexpr size_t kSampleSlice = 64;
// Probes of a store that is down, and of one nothing was written to for this long.
constexpr absl::Duration kProbeDown = absl::Seconds(1);
constexpr absl::Duration kProbeIdle = absl::Seconds(5);

// Drops all but the `cap` most recently received sources of each agent from `rows`; returns how
// many it dropped.
size_t KeepNewestPerAgent(std::vector<SourceCheckpoint>* rows, size_t cap) {
  absl::flat_hash_map<absl::string_view, std::vector<size_t>> by_agent;
  for (size_t i = 0; i < rows->size(); ++i) {
    const absl::string_view source = (*rows)[i].source;
    by_agent[source.substr(0, source.find('/'))].push_back(i);
  }
  std::vector<bool> drop(rows->size(), false);
  size_t dropped = 0;
  for (auto& [agent, index] : by_agent) {
    if (index.size() <= cap) continue;
    std::nth_element(index.begin(), index.begin() + static_cast<ptrdiff_t>(cap), index.end(),
                     [rows](size_t a, size_t b) { return (*rows)[a].received_ns > (*rows)[b].received_ns; });
    for (size_t k = cap; k < index.size(); ++k) drop[index[k]] = true;
    dropped += index.size() - cap;
    LogWarning("agent ", agent, " has ", index.size(), " sources in the store; restoring its ", cap,
               " most recent (the collector keeps at most that many checks an agent; the evidence stays)");
  }
  if (dropped == 0) return 0;
  size_t kept = 0;
  for (size_t i = 0; i < rows->size(); ++i) {
    if (drop[i]) continue;
    if (kept != i) (*rows)[kept] = std::move((*rows)[i]);
    ++kept;
  }
  rows->resize(kept);
  return dropped;
}

}  // namespace

void StoredEvidence::Add(const StoredRecord& r) { Add(r.seq, r.recorded_ns, r.type, r.payload); }

void StoredEvidence::Add(uint64_t seq, int64_t recorded_ns, RecordType type, absl::string_view payload) {
  if (type != RecordType::kResult && type != RecordType::kExercise && !IsContinuityRecord(type)) return;
  paraat::v1::EvidenceRecord rec;
  if (!rec.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;  // verification reports it
  if (rec.has_result()) {
    const paraat::v1::Result& res = rec.result().result();
    results.push_back(Result{rec.result().agent_id(), CheckObservation{res.check_id(), ObservationFromResult(res, seq)},
                             FromUnixNs(recorded_ns)});
  } else if (rec.has_exercise()) {
    exercises.emplace_back(rec.exercise().plan_id(), ObservationFromExercise(rec.exercise(), seq));
  } else if (rec.has_review() || rec.has_incident()) {
    continuity.emplace_back(seq, std::move(rec));
  }
}

// Records to commit (item), or evidence committed before to fold (stored, then `folded`).
struct Ingest::Work {
  std::unique_ptr<Item> item;
  StoredEvidence stored;
  std::function<void(const absl::Status&)> folded;
  size_t records() const { return item ? item->group.records.size() : 0; }
};

Ingest::Ingest(Store* store, EvidenceState* state, AgentRegistry* agents, CollectorMetrics* metrics, const Clock* clock,
               Options options)
    : store_(store), state_(state), agents_(agents), metrics_(metrics), clock_(clock), options_(std::move(options)) {}

Ingest::~Ingest() { Stop(); }

absl::StatusOr<uint64_t> Ingest::Restore() {
  PARAAT_ASSIGN_OR_RETURN(std::vector<AgentRow> agents, store_->LoadAgents());
  for (const AgentRow& a : agents) agents_->Restore(a);

  uint64_t through = 0;
  PARAAT_ASSIGN_OR_RETURN(std::vector<SourceCheckpoint> rows, store_->LoadCheckpoint(&through));
  KeepNewestPerAgent(&rows, options_.max_sources_per_agent);
  // A slice at a time: memory for the records read stays that of one slice.
  for (size_t i = 0; i < rows.size(); i += kRestoreSlice) {
    PARAAT_RETURN_IF_ERROR(RestoreSources(rows, i, std::min(rows.size(), i + kRestoreSlice)));
  }

  // Results committed after the last checkpoint, then every exercise.
  uint64_t read_through = through, folded = 0;
  StoredEvidence after;
  std::vector<std::string> changed;
  PARAAT_RETURN_IF_ERROR(store_->Scan(through + 1, UINT64_MAX, [&](const StoredRecord& r) {
    read_through = r.seq;
    if (r.type != RecordType::kResult) return true;
    after.Add(r);
    ++folded;
    if (after.size() >= kRestoreSlice) {
      FoldStored(after, &changed);
      changed.clear();
    }
    return true;
  }));
  FoldStored(after, &changed);
  PARAAT_ASSIGN_OR_RETURN(std::vector<uint64_t> exercise_seqs, store_->ExerciseSeqs());
  PARAAT_ASSIGN_OR_RETURN(std::vector<StoredRecord> exercise_records, store_->Read(exercise_seqs));
  StoredEvidence exercises;
  for (const StoredRecord& r : exercise_records) exercises.Add(r);
  FoldStored(exercises, &changed);
  LogInfo("restored ", state_->source_count(), " sources (", folded, " results after the checkpoint, ",
          restored_samples_, " backups and restore tests in their histories), ", exercise_records.size(),
          " exercises, ", agents.size(), " agents from ", store_->Describe());
  return read_through;
}

absl::Status Ingest::RestoreSources(const std::vector<SourceCheckpoint>& rows, size_t from, size_t to) {
  std::vector<uint64_t> seqs;
  for (size_t i = from; i < to; ++i) {
    for (uint64_t s : {rows[i].latest_seq, rows[i].conclusive_seq, rows[i].ok_seq}) {
      if (s) seqs.push_back(s);
    }
  }
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());  // latest is mostly also ok
  PARAAT_ASSIGN_OR_RETURN(std::vector<StoredRecord> records, store_->Read(seqs));
  absl::flat_hash_map<uint64_t, Observation> obs;
  obs.reserve(records.size());
  for (const StoredRecord& r : records) {
    paraat::v1::EvidenceRecord rec;
    if (rec.ParseFromString(r.payload) && rec.has_result()) {
      obs[r.seq] = ObservationFromResult(rec.result().result(), r.seq);
      obs[r.seq].received = FromUnixNs(r.recorded_ns);  // freshness is by receipt
    }
  }
  records.clear();
  std::vector<std::pair<std::string, SourceState>> restored;
  restored.reserve(to - from);
  for (size_t i = from; i < to; ++i) {
    const SourceCheckpoint& r = rows[i];
    SourceState s;
    const size_t slash = r.source.find('/');
    s.agent = r.source.substr(0, slash);
    s.check = r.source.substr(slash + 1);
    if (auto it = obs.find(r.latest_seq); it != obs.end()) s.latest = it->second;
    if (auto it = obs.find(r.conclusive_seq); it != obs.end()) s.latest_conclusive = it->second;
    if (auto it = obs.find(r.ok_seq); it != obs.end()) s.latest_ok = it->second;
    s.received = FromUnixNs(r.received_ns);
    if (s.latest) restored.emplace_back(r.source, std::move(s));
  }
  obs.clear();
  PARAAT_RETURN_IF_ERROR(RestoreSamples(&restored));
  for (auto& [key, s] : restored) state_->RestoreSource(key, std::move(s));
  return absl::OkStatus();
}

absl::Status Ingest::RestoreSamples(std::vector<std::pair<std::string, SourceState>>* sources) {
  constexpr size_t kPerSource = SourceHistory::kMaxBackups + SourceHistory::kMaxRestores;
  std::vector<uint64_t> seqs;
  absl::flat_hash_map<uint64_t, size_t> owner;  // seq -> index in `sources`
  for (size_t from = 0; from < sources->size(); from += kSampleSlice) {
    const size_t to = std::min(sources->size(), from + kSampleSlice);
    seqs.clear();
    owner.clear();
    for (size_t i = from; i < to; ++i) {
      PARAAT_ASSIGN_OR_RETURN(std::vector<HistoryEntry> entries,
                              store_->History(SampleHistorySubject((*sources)[i].first), 0, kPerSource));
      for (const HistoryEntry& e : entries) {
        seqs.push_back(e.seq);
        owner[e.seq] = i;
      }
    }
    std::sort(seqs.begin(), seqs.end());
    PARAAT_ASSIGN_OR_RETURN(std::vector<StoredRecord> records, store_->Read(seqs));
    // In seq order: a backup reported again replaces its earlier report, as it did when received.
    for (const StoredRecord& r : records) {
      paraat::v1::EvidenceRecord rec;
      auto it = owner.find(r.seq);
      if (it == owner.end() || !rec.ParseFromString(r.payload) || !rec.has_result()) continue;
      (*sources)[it->second].second.history.Add(ObservationFromResult(rec.result().result(), r.seq));
      ++restored_samples_;
    }
  }
  return absl::OkStatus();
}

void Ingest::Start() {
  last_checkpoint_ = last_store_use_ = clock_->Monotonic();
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

void Ingest::Enqueue(std::unique_ptr<Work> work) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_ || thread_.joinable()) {
      queued_records_ += work->records();
      queue_.push_back(std::move(work));
      work = nullptr;
    }
  }
  if (work == nullptr) {
    cv_.notify_one();
    return;
  }
  // Not running: refuse rather than hold a record nobody will commit.
  const absl::Status refused = absl::UnavailableError("collector is shutting down");
  if (work->item) {
    work->item->done(refused, work->item->group);
  } else {
    work->folded(refused);
  }
}

void Ingest::Submit(std::unique_ptr<Item> item) {
  auto work = std::make_unique<Work>();
  work->item = std::move(item);
  Enqueue(std::move(work));
}

void Ingest::Append(std::vector<PendingRecord> records, RecordSink::Done done) {
  auto item = std::make_unique<Item>();
  item->group.records = std::move(records);
  item->received = clock_->Now();
  item->arrived = clock_->Monotonic();
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

absl::Status Ingest::FoldAndWait(StoredEvidence evidence) {
  std::promise<absl::Status> promise;
  auto future = promise.get_future();
  auto work = std::make_unique<Work>();
  work->stored = std::move(evidence);
  work->folded = [&promise](const absl::Status& st) { promise.set_value(st); };
  Enqueue(std::move(work));
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
  std::vector<std::unique_ptr<Work>> work;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      clock_->WaitFor(cv_, lock, absl::Seconds(1), [&] { return stopping_ || !queue_.empty(); });
      size_t records = 0;
      while (!queue_.empty() &&
             (work.empty() || records + queue_.front()->records() <= options_.max_records_per_commit)) {
        records += queue_.front()->records();
        work.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_records_ -= records;
      if (work.empty() && stopping_) break;
    }
    if (!work.empty()) {
      Process(work);
      work.clear();
    }
    MaybeProbe();
    MaybeCheckpoint(false);
    MaybePrune();
  }
  MaybeCheckpoint(true);
}

void Ingest::MaybeProbe() {
  StoreHealth* health = options_.health;
  if (health == nullptr) return;
  health->Tick();
  const absl::Duration now = clock_->Monotonic();
  if (now - last_store_use_ < (health->up() ? kProbeIdle : kProbeDown)) return;
  last_store_use_ = now;
  if (absl::Status st = store_->Ping(); st.ok()) {
    health->Succeeded();
  } else {
    health->Failed("probing the store", st);
  }
}

void Ingest::Process(std::vector<std::unique_ptr<Work>>& work) {
  std::vector<Item*> items;
  for (auto& w : work) {
    if (w->item) items.push_back(w->item.get());
  }
  const bool committed = items.empty() || CommitItems(items, clock_->Now());
  std::vector<std::string> changed;
  bool exercises = false;
  if (committed) FoldCommitted(items, &changed, &exercises);
  for (auto& w : work) {
    if (w->item) continue;
    exercises = exercises || !w->stored.exercises.empty();
    FoldStored(w->stored, &changed);
  }

  std::function<void(const std::vector<std::string>&)> notify;
  {
    std::lock_guard<std::mutex> lock(mu_);
    notify = on_committed_;
  }
  if (notify && (!changed.empty() || exercises)) notify(changed);
  // Only now, with the evidence durable and folded in, do the submitters hear of it.
  const absl::Duration now = clock_->Monotonic();
  for (auto& w : work) {
    if (!w->item) {
      w->folded(absl::OkStatus());
    } else if (committed) {
      metrics_->ingest_duration.Observe(absl::ToDoubleSeconds(now - w->item->arrived));
      w->item->done(absl::OkStatus(), w->item->group);
    }
  }
}

void Ingest::MarkHistory(const std::vector<Item*>& items) {
  // The previous result of a source: the one before it in this commit, else the state's latest
  // (the writer is the state's only writer, so it reads it without a lock).
  absl::flat_hash_map<std::string, const Observation*> previous;
  for (Item* item : items) {
    const size_t n = std::min(item->results.size(), item->group.records.size());
    for (size_t i = 0; i < n; ++i) {
      std::string key = SourceKey(item->group.agent_id, item->results[i].check);
      const Observation& next = item->results[i].obs;
      auto [it, inserted] = previous.try_emplace(key, nullptr);
      if (inserted) {
        const SourceState* s = state_->Source(key);
        it->second = s != nullptr && s->latest ? &*s->latest : nullptr;
      }
      const HistoryMarker::Mark mark = history_.Decide(key, next, it->second);
      PendingRecord& rec = item->group.records[i];
      if (SourceHistory::AddsSample(next, it->second)) rec.samples = SampleHistorySubject(key);
      it->second = &next;
      if (!mark.marked) continue;
      rec.history = std::move(key);
      rec.history_previous_point_ns = mark.previous_point_ns;
    }
  }
}

bool Ingest::CommitItems(const std::vector<Item*>& items, absl::Time now) {
  MarkHistory(items);
  std::vector<WriteGroup*> groups;
  groups.reserve(items.size());
  size_t records = 0;
  for (Item* item : items) {
    groups.push_back(&item->group);
    records += item->group.records.size();
  }
  const absl::Duration start = clock_->Monotonic();
  absl::Status st = store_->Commit(groups, now);
  last_store_use_ = clock_->Monotonic();
  metrics_->commit_duration.Observe(absl::ToDoubleSeconds(last_store_use_ - start));
  metrics_->commit_size.Observe(static_cast<double>(records));
  if (st.ok()) {
    if (options_.health) options_.health->Succeeded();
    return true;
  }
  metrics_->store_errors.Increment();
  if (options_.health) {
    options_.health->Failed(absl::StrCat("commit of ", records, " records"), st);  // logs once per outage
  } else {
    LogError("evidence store commit of ", records, " records failed: ", st.message());
  }
  for (Item* item : items) item->done(st, item->group);
  return false;
}

void Ingest::FoldCommitted(const std::vector<Item*>& items, std::vector<std::string>* changed, bool* exercises) {
  const absl::Time now = clock_->Now();
  uint64_t stored_records = 0, stored_results = 0, duplicate_results = 0;
  uint64_t first = UINT64_MAX, last = 0;
  for (Item* item : items) {
    const WriteGroup& g = item->group;
    if (g.duplicate) {
      duplicate_results += item->results.size();
      continue;
    }
    stored_records += g.records.size();
    if (!g.records.empty()) {
      const uint64_t end = g.first_seq + g.records.size() - 1;
      first = std::min(first, g.first_seq);
      last = std::max(last, end);
      if (end > head_seq_) head_seq_ = end;
    }
    if (!item->results.empty()) {
      stored_results += item->results.size();
      for (const CheckObservation& r : item->results) changed->push_back(SourceKey(g.agent_id, r.check));
      state_->AddResults(g.agent_id, std::move(item->results), g.first_seq, item->received);
    }
    // Exercises recorded through the query API: folded from the records themselves.
    StoredEvidence recorded;
    for (size_t i = 0; i < g.records.size(); ++i) {
      if (g.records[i].type == RecordType::kExercise || IsContinuityRecord(g.records[i].type)) {
        recorded.Add(g.first_seq + i, g.recorded_ns, g.records[i].type, g.records[i].payload);
      }
    }
    *exercises = *exercises || !recorded.exercises.empty() || !recorded.continuity.empty();
    FoldStored(recorded, changed);
    if (!g.agent_id.empty()) agents_->Seen(g.agent_id, now);
  }
  metrics_->results_received.Increment(static_cast<double>(stored_results));
  metrics_->results_duplicate.Increment(static_cast<double>(duplicate_results));
  metrics_->evidence_records.Increment(static_cast<double>(stored_records));
  if (last > 0 && options_.track_commits) {
    std::lock_guard<std::mutex> lock(mu_);
    committed_ranges_.emplace_back(first, last);
  }
}

void Ingest::FoldStored(StoredEvidence& evidence, std::vector<std::string>* changed) {
  for (StoredEvidence::Result& r : evidence.results) {
    changed->push_back(SourceKey(r.agent, r.result.check));
    const uint64_t seq = r.result.obs.evidence_seq;
    std::vector<CheckObservation> one;
    one.push_back(std::move(r.result));
    state_->AddResults(r.agent, std::move(one), seq, r.received);
  }
  for (const auto& [plan_id, exercise] : evidence.exercises) state_->AddExercise(plan_id, exercise);
  for (const auto& [seq, record] : evidence.continuity) state_->AddContinuity(record, seq);
  evidence = StoredEvidence();
}

void Ingest::MaybeCheckpoint(bool force) {
  const absl::Duration now = clock_->Monotonic();
  if (!force && now - last_checkpoint_ < options_.checkpoint_interval) return;
  last_checkpoint_ = now;
  if (options_.maintains && !options_.maintains()) return;
  if (options_.health && !options_.health->up()) return;  // dirty sources wait for the store
  std::vector<SourceCheckpoint> dirty = state_->TakeDirty();
  if (dirty.empty() && !force) return;
  const uint64_t through = options_.folded_through ? options_.folded_through() : head_seq_.load();
  absl::Status st = store_->SaveCheckpoint(dirty, through);
  if (!st.ok()) {
    metrics_->store_errors.Increment();
    if (options_.health) {
      options_.health->Failed("saving the source checkpoint", st);
    } else {
      LogWarning("saving the source checkpoint failed (start-up will scan more records): ", st.message());
    }
  }
}

void Ingest::MaybePrune() {
  const absl::Duration now = clock_->Monotonic();
  if (now - last_prune_ < options_.prune_interval) return;
  last_prune_ = now;
  if (options_.maintains && !options_.maintains()) return;
  if (options_.health && !options_.health->up()) {
    last_prune_ = -absl::InfiniteDuration();  // once it is back
    return;
  }
  // Retention is about when evidence was recorded: wall time.
  const absl::Time wall = clock_->Now();
  auto removed = store_->Prune(wall - options_.retention, wall);
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
