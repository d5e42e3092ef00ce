#include "agent/spool.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proto_text.h"
#include "common/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace paraat {
namespace {
constexpr uint64_t kReserveBlock = 1000;

// Results a batch file that does not parse began to hold: each results field whose length is
// still there counts, so a batch cut short mid-result counts that result. At least one: a spool
// batch always holds a result (Append). A lower bound when the damage is early in the file.
uint64_t ResultsBegun(const std::string& bytes) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  uint64_t n = 0;
  while (uint32_t tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == paraat::v1::ResultBatch::kResultsFieldNumber &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length;
      if (!in.ReadVarint32(&length)) break;
      ++n;
      if (!in.Skip(static_cast<int>(length))) break;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      break;
    }
  }
  return std::max<uint64_t>(n, 1);
}

// Reads a batch file: strictly, or escaping strings an older agent wrote without making them
// UTF-8 (saying so when `sending`). The reason it cannot, otherwise.
absl::StatusOr<paraat::v1::ResultBatch> ReadBatch(const std::string& path, std::string* bytes, bool sending) {
  auto read = ReadFile(path);
  if (!read.ok()) return read.status();
  *bytes = *std::move(read);
  paraat::v1::ResultBatch batch;
  if (batch.ParseFromString(*bytes)) return batch;
  if (!ParseEscapingInvalidUtf8(*bytes, &batch)) {
    return absl::DataLossError(absl::StrCat(bytes->size(), " bytes that are not a whole batch"));
  }
  if (sending)
    LogWarning("spool: ", path, " holds text that is not UTF-8 (written by an older agent); sending it escaped");
  CapForWire(&batch);
  return batch;
}

int64_t MtimeNs(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}
}  // namespace

absl::StatusOr<std::unique_ptr<Spool>> Spool::Open(const std::string& dir, uint64_t max_size) {
  std::unique_ptr<Spool> s(new Spool(dir, max_size));
  PARAAT_RETURN_IF_ERROR(MakeDirs(dir + "/batches", 0700));
  PARAAT_RETURN_IF_ERROR(s->Load());
  return s;
}

std::string Spool::BatchPath(uint64_t seq) const { return absl::StrFormat("%s/batches/%020d.pb", dir_, seq); }

absl::Status Spool::Load() {
  auto state = ReadFile(dir_ + "/spool.state");
  if (state.ok()) {
    for (absl::string_view line : absl::StrSplit(*state, '\n')) {
      std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
      // A damaged state file starts a new epoch: sequences cannot collide with the old ones.
      if (kv.first == "epoch" && !absl::SimpleHexAtoi(kv.second, &epoch_)) epoch_ = 0;
      if (kv.first == "reserved" && !absl::SimpleAtoi(kv.second, &reserved_)) reserved_ = 0;
    }
  } else if (state.status().code() != absl::StatusCode::kNotFound) {
    return state.status();
  }
  if (epoch_ == 0) {
    std::random_device rd;
    epoch_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    if (epoch_ == 0) epoch_ = 1;
    reserved_ = 0;
  }
  next_seq_ = std::max<uint64_t>(reserved_, 1);

  // Gaps not yet reported, before the batches add theirs.
  paraat::v1::ResultBatch gaps;
  if (auto saved = ReadFile(dir_ + "/gaps.pb"); saved.ok() && gaps.ParseFromString(*saved)) {
    for (const auto& g : gaps.gaps()) MergeGapLocked(g);
  }
  // An older version's single pending gap.
  if (auto legacy = ReadFile(dir_ + "/gap.pb"); legacy.ok()) {
    paraat::v1::Gap g;
    if (g.ParseFromString(*legacy)) MergeGapLocked(g);
    SaveGapsLocked();
    ::unlink((dir_ + "/gap.pb").c_str());
  }
  DIR* d = ::opendir((dir_ + "/batches").c_str());
  if (d == nullptr) return ErrnoStatus(errno, absl::StrCat("open ", dir_, "/batches"));
  std::vector<uint64_t> seqs;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    uint64_t seq;
    if (name.size() == 23 && name.substr(20) == ".pb" && absl::SimpleAtoi(name.substr(0, 20), &seq)) {
      seqs.push_back(seq);
    } else if (name.size() > 4 && name.substr(name.size() - 4) == ".tmp") {
      ::unlink((dir_ + "/batches/" + name).c_str());  // an interrupted write
    }
  }
  ::closedir(d);
  for (uint64_t seq : seqs) {
    // Never again, read or not: the collector may hold it.
    next_seq_ = std::max(next_seq_, seq + 1);
    std::string bytes;
    auto batch = ReadBatch(BatchPath(seq), &bytes, false);
    Entry e;
    if (!batch.ok()) {
      // Nothing to go by but the file: what it began to hold, and when it was written.
      e.results = ResultsBegun(bytes);
      e.oldest_ns = e.newest_ns = MtimeNs(BatchPath(seq));
      DropUnreadableLocked(seq, e, batch.status().message());
      continue;
    }
    e.bytes = bytes.size();
    e.results = static_cast<uint64_t>(batch->results_size());
    for (const auto& r : batch->results()) {
      if (e.oldest_ns == 0 || r.started_unix_ns() < e.oldest_ns) e.oldest_ns = r.started_unix_ns();
      e.newest_ns = std::max(e.newest_ns, r.started_unix_ns());
    }
    e.gaps.assign(batch->gaps().begin(), batch->gaps().end());
    entries_[seq] = e;
    bytes_ += e.bytes;
    results_ += e.results;
  }
  return SaveState();
}

absl::Status Spool::SaveState() {
  if (next_seq_ < reserved_) return absl::OkStatus();
  reserved_ = next_seq_ + kReserveBlock;
  return WriteFileAtomic(dir_ + "/spool.state", absl::StrFormat("epoch=%016x\nreserved=%d\n", epoch_, reserved_));
}

void Spool::MergeGapLocked(const paraat::v1::Gap& gap) {
  auto it = std::find_if(pending_gaps_.begin(), pending_gaps_.end(),
                         [&](const paraat::v1::Gap& g) { return g.reason() == gap.reason(); });
  if (it == pending_gaps_.end()) {
    pending_gaps_.push_back(gap);
    return;
  }
  paraat::v1::Gap& g = *it;
  g.set_first_sequence(std::min(g.first_sequence(), gap.first_sequence()));
  g.set_last_sequence(std::max(g.last_sequence(), gap.last_sequence()));
  g.set_dropped_batches(g.dropped_batches() + gap.dropped_batches());
  g.set_dropped_results(g.dropped_results() + gap.dropped_results());
  if (gap.oldest_unix_ns() != 0 && (g.oldest_unix_ns() == 0 || gap.oldest_unix_ns() < g.oldest_unix_ns())) {
    g.set_oldest_unix_ns(gap.oldest_unix_ns());
  }
  g.set_newest_unix_ns(std::max(g.newest_unix_ns(), gap.newest_unix_ns()));
}

void Spool::SaveGapsLocked() {
  if (pending_gaps_.empty()) {
    ::unlink((dir_ + "/gaps.pb").c_str());
    return;
  }
  paraat::v1::ResultBatch gaps;
  for (const auto& g : pending_gaps_) *gaps.add_gaps() = g;
  absl::Status st = WriteFileAtomic(dir_ + "/gaps.pb", gaps.SerializeAsString());
  if (!st.ok()) LogWarning("spool: cannot record the gap: ", st.message());
}

void Spool::RecordDropLocked(uint64_t seq, const Entry& e, const char* reason) {
  ::unlink(BatchPath(seq).c_str());
  ++dropped_batches_;
  dropped_results_ += e.results;
  paraat::v1::Gap dropped;
  dropped.set_first_sequence(seq);
  dropped.set_last_sequence(seq);
  dropped.set_dropped_batches(1);
  dropped.set_dropped_results(e.results);
  dropped.set_oldest_unix_ns(e.oldest_ns);
  dropped.set_newest_unix_ns(e.newest_ns);
  dropped.set_reason(reason);
  MergeGapLocked(dropped);
  // The dropped batch may itself have carried the report of an earlier gap: the collector has
  // not stored it, so it has not seen that report either. Keep it.
  for (const auto& g : e.gaps) MergeGapLocked(g);
}

void Spool::DropUnreadableLocked(uint64_t seq, const Entry& e, absl::string_view why) {
  LogWarning("spool: batch ", seq, " cannot be read back (", why, "); dropping it and reporting ", e.results,
             e.results == 1 ? " result" : " results", " as a gap (", kUnreadableBatch, ")");
  RecordDropLocked(seq, e, kUnreadableBatch);
  SaveGapsLocked();
}

void Spool::DropOldestLocked(uint64_t incoming) {
  auto it = entries_.begin();
  while (it != entries_.end() && bytes_ + incoming > max_size_) {
    // A batch already sent may be stored by now, its acknowledgement still on the way: dropping
    // it would report as lost what the collector holds. Sent batches are bounded by the sender's
    // window; the oldest unsent batch goes instead.
    if (it->second.sent) {
      ++it;
      continue;
    }
    bytes_ -= it->second.bytes;
    results_ -= it->second.results;
    RecordDropLocked(it->first, it->second, "spool full (max_size reached while the collector was unreachable)");
    it = entries_.erase(it);
  }
  if (!pending_gaps_.empty()) SaveGapsLocked();
}

absl::StatusOr<uint64_t> Spool::Append(std::vector<paraat::v1::Result> results) {
  // The agent's edge: from here on every string is valid UTF-8 and within the collector's limits,
  // so the batch parses back and is accepted.
  for (auto& r : results) PrepareForWire(&r);
  std::lock_guard<std::mutex> lock(mu_);
  paraat::v1::ResultBatch batch;
  const uint64_t seq = next_seq_;
  batch.set_sequence(seq);
  Entry e;
  e.results = results.size();
  for (auto& r : results) {
    if (e.oldest_ns == 0 || r.started_unix_ns() < e.oldest_ns) e.oldest_ns = r.started_unix_ns();
    e.newest_ns = std::max(e.newest_ns, r.started_unix_ns());
    *batch.add_results() = std::move(r);
  }
  const size_t estimate = batch.ByteSizeLong();
  if (bytes_ + estimate > max_size_) DropOldestLocked(estimate);
  const bool carries_gap = !pending_gaps_.empty();
  for (const auto& g : pending_gaps_) *batch.add_gaps() = g;
  e.gaps = pending_gaps_;
  std::string bytes = batch.SerializeAsString();
  ++next_seq_;
  PARAAT_RETURN_IF_ERROR(SaveState());
  PARAAT_RETURN_IF_ERROR(WriteFileAtomic(BatchPath(seq), bytes));
  if (carries_gap) {
    pending_gaps_.clear();
    ::unlink((dir_ + "/gaps.pb").c_str());
  }
  e.bytes = bytes.size();
  entries_[seq] = e;
  bytes_ += e.bytes;
  results_ += e.results;
  return seq;
}

std::optional<paraat::v1::ResultBatch> Spool::Next(uint64_t after) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.upper_bound(after); it != entries_.end();) {
    std::string bytes;
    auto batch = ReadBatch(BatchPath(it->first), &bytes, true);
    if (batch.ok()) {
      it->second.sent = true;
      return *std::move(batch);
    }
    bytes_ -= it->second.bytes;
    results_ -= it->second.results;
    DropUnreadableLocked(it->first, it->second, batch.status().message());
    it = entries_.erase(it);
  }
  return std::nullopt;
}

void Spool::Ack(uint64_t sequence) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(sequence);
  if (it == entries_.end()) return;
  ::unlink(BatchPath(sequence).c_str());
  bytes_ -= it->second.bytes;
  results_ -= it->second.results;
  entries_.erase(it);
}

Spool::Stats Spool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{entries_.size(), bytes_, results_, dropped_batches_, dropped_results_};
}

bool Spool::empty() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.empty();
}

}  // namespace paraat
