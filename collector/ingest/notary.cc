#include "collector/ingest/notary.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace paraat {
namespace {

// How often the time-stamp thread looks for checkpoints without a token.
constexpr absl::Duration kStampEvery = absl::Seconds(30);
// Checkpoints sent to the TSA in one round at most (newest first).
constexpr size_t kStampBatch = 20;

}  // namespace

absl::StatusOr<SigningKey> LoadCollectorKey(const std::string& path, bool* created) {
  return SigningKey::LoadOrCreate(path, created);
}

Notary::Notary(Store* store, SigningKey key, NotaryOptions options, CollectorMetrics* metrics, const Clock* clock,
               std::function<bool()> leading)
    : store_(store),
      key_(std::move(key)),
      options_(std::move(options)),
      metrics_(metrics),
      clock_(clock),
      leading_(std::move(leading)),
      thread_(clock),
      stamp_thread_(clock) {}

Notary::~Notary() { Stop(); }

void Notary::Start() {
  auto all = store_->TreeCheckpoints();
  if (all.ok() && !all->empty()) Published(all->back());
  started_ = true;
  thread_.Start([this] { Run(); });
  if (!options_.timestamping.url.empty()) stamp_thread_.Start([this] { RunTimestamps(); });
}

void Notary::Stop() {
  if (!started_) return;
  started_ = false;
  thread_.Stop();
  stamp_thread_.Stop();
  if (!Leads()) return;
  std::lock_guard<std::mutex> lock(sign_mu_);
  auto cp = SignLocked();  // its time stamp follows at the next start
  if (!cp.ok()) LogWarning("could not sign the checkpoint at shutdown: ", cp.status().message());
}

absl::StatusOr<TreeCheckpoint> Notary::Sign() {
  std::lock_guard<std::mutex> lock(sign_mu_);
  if (!Leads()) {
    PARAAT_ASSIGN_OR_RETURN(std::vector<TreeCheckpoint> all, store_->TreeCheckpoints());
    if (all.empty()) return absl::UnavailableError("the leading collector has signed no checkpoint yet");
    return all.back();
  }
  PARAAT_ASSIGN_OR_RETURN(TreeCheckpoint cp, SignLocked());
  if (!options_.timestamping.url.empty()) Stamp(cp);
  return cp;
}

absl::StatusOr<TreeCheckpoint> Notary::SignLocked() {
  auto cp = store_->AppendTreeCheckpoint(
      [this](uint64_t size, const Digest& root, absl::Time now) -> absl::StatusOr<paraat::v1::CheckpointRecord> {
        Checkpoint c;
        c.origin = options_.origin;
        c.tree_size = size;
        c.root = root;
        c.time = absl::FromUnixSeconds(absl::ToUnixSeconds(now));
        c.collector_id = options_.collector_id;
        PARAAT_ASSIGN_OR_RETURN(SignedCheckpoint sc, SignCheckpoint(c, key_));
        paraat::v1::CheckpointRecord rec;
        rec.set_note(sc.body);
        rec.set_signature(sc.signature);
        rec.set_key_id(sc.checkpoint.key_id);
        rec.set_tree_size(size);
        return rec;
      },
      clock_->Now());
  if (!cp.ok()) {
    metrics_->checkpoint_errors.Increment();
    return cp.status();
  }
  Published(*cp);
  Witness(*cp);
  return cp;
}

void Notary::Published(const TreeCheckpoint& cp) {
  metrics_->checkpoint_time.Set(static_cast<double>(cp.signed_ns) / 1e9);
  metrics_->checkpoint_tree_size.Set(static_cast<double>(cp.tree_size));
}

void Notary::Run() {
  while (true) {
    // Due `every` after the newest checkpoint (at once when there is none).
    absl::Duration wait = absl::Seconds(5);
    auto all = store_->TreeCheckpoints();
    auto tree = store_->Tree();
    if (all.ok() && tree.ok()) {
      const bool grew = all->empty() ? tree->size > 0 : tree->size > all->back().tree_size + 1;
      const absl::Time due = all->empty() ? absl::InfinitePast() : FromUnixNs(all->back().signed_ns) + options_.every;
      const absl::Time now = clock_->Now();
      if (grew && now >= due && Leads()) {
        if (auto cp = Sign(); !cp.ok()) LogWarning("could not sign a checkpoint: ", cp.status().message());
        wait = options_.every;
      } else {
        wait = std::clamp(due - now, absl::Seconds(5), options_.every);
      }
    }
    if (thread_.Wait(wait)) return;
  }
}

bool Notary::Stamp(TreeCheckpoint& cp) {
  auto ts = RequestTimestamp(cp.note, options_.timestamping);
  if (!ts.ok()) {
    metrics_->timestamp_errors.Increment();
    LogWarning("time stamp for the checkpoint of ", cp.tree_size, " records: ", ts.status().message());
    return false;
  }
  if (absl::Status st = store_->SetTimestampToken(cp.seq, ts->token); !st.ok()) {
    LogWarning("could not store the time stamp of the checkpoint of ", cp.tree_size, " records: ", st.message());
    return false;
  }
  cp.timestamp_token = ts->token;
  return true;
}

void Notary::RunTimestamps() {
  do {
    if (!Leads()) continue;
    auto all = store_->TreeCheckpoints();
    if (!all.ok()) continue;
    size_t missing = 0, tried = 0;
    for (auto it = all->rbegin(); it != all->rend(); ++it) {
      if (!it->timestamp_token.empty()) continue;
      ++missing;
      if (tried++ < kStampBatch && Stamp(*it)) --missing;
    }
    metrics_->checkpoints_untimestamped.Set(static_cast<double>(missing));
  } while (!stamp_thread_.Wait(kStampEvery));
}

void Notary::Witness(const TreeCheckpoint& cp) {
  if (options_.witness.empty()) return;
  auto parsed = ParseCheckpointBody(cp.note);
  if (!parsed.ok()) return;
  const std::string note = FormatSignedNote(SignedCheckpoint{*parsed, cp.note, cp.signature}, key_.public_key()) + "\n";
  const int fd = ::open(options_.witness.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, note.data(), note.size()) != static_cast<ssize_t>(note.size())) {
    LogWarning("witness ", options_.witness, ": ", std::strerror(errno));
  }
  if (fd >= 0) ::close(fd);
}

}  // namespace paraat
