#include "agent/verifier.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/file_hasher.h"
#include "common/sha256.h"

namespace paraat {

std::vector<VerifyOutcome> VerifyFiles(const CheckContext& ctx, const std::vector<VerifyItem>& items,
                                       const VerifyOptions& options) {
  std::vector<VerifyOutcome> out(items.size());
  if (items.empty()) return out;
  int workers = options.parallel > 0 ? options.parallel : static_cast<int>(std::thread::hardware_concurrency());
  workers = std::max(1, std::min<int>(workers, static_cast<int>(items.size())));
  std::unique_ptr<RateLimiter> limiter;
  if (options.max_read_rate > 0) limiter = std::make_unique<RateLimiter>(options.max_read_rate, ctx.clock);

  uint64_t total = 0;
  for (const auto& i : items) total += i.size;
  std::atomic<uint64_t> done{0};
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < items.size(); i = next++) {
      const VerifyItem& item = items[i];
      HashOptions ho;
      ho.cancelled = ctx.cancelled;
      ho.limiter = limiter.get();
      ho.on_read = [&](uint64_t n) { ctx.progress->Update(item.key, done += n, total); };
      auto digest = HashFile(item.path, ho);
      if (!digest.ok()) {
        out[i].kind = VerifyOutcome::kError;
        out[i].error = std::string(digest.status().message());
        continue;
      }
      out[i].actual = ToHex(*digest);
      out[i].kind = out[i].actual == item.expected ? VerifyOutcome::kOk : VerifyOutcome::kMismatch;
    }
  };
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  return out;
}

Rotation::Rotation(nlohmann::json state, double fraction, absl::Time now)
    : fraction_(fraction), now_(now), ledger_(std::move(state), "files", RotationLedger::WindowFor(fraction)) {
  ledger_.StartRun();
}

bool Rotation::Unchanged(const VerifyItem& item) const {
  const nlohmann::json* e = ledger_.Find(item.key);
  return e && e->value("size", uint64_t{0}) == item.size && e->value("mtime", int64_t{0}) == item.mtime_ns &&
         e->value("expected", std::string()) == item.expected;
}

std::vector<size_t> Rotation::Select(const std::vector<VerifyItem>& items) {
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < items.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return items[a].key < items[b].key; });
  uint64_t total = 0;
  for (const auto& i : items) total += i.size;
  const double budget = std::max(1.0, fraction_ * static_cast<double>(total));
  std::vector<size_t> chosen;
  double bytes = 0;
  std::vector<bool> taken(items.size(), false);
  // New or changed files first (tonight's backup is verified tonight), within the budget: a
  // first run over a large set reads its share, not everything.
  for (size_t i : order) {
    if (bytes >= budget && !chosen.empty()) break;
    if (!Unchanged(items[i])) {
      chosen.push_back(i);
      taken[i] = true;
      bytes += static_cast<double>(items[i].size);
    }
  }
  // Then the rotation, from where the last run stopped (files chosen above count as read).
  const std::string cursor = ledger_.state().value("cursor", std::string());
  size_t start = 0;
  while (start < order.size() && items[order[start]].key <= cursor) ++start;
  std::string last;
  for (size_t n = 0; n < order.size() && (bytes < budget || chosen.empty()); ++n) {
    size_t i = order[(start + n) % order.size()];
    if (taken[i]) continue;
    chosen.push_back(i);
    taken[i] = true;
    bytes += static_cast<double>(items[i].size);
    last = items[i].key;
  }
  if (!last.empty()) ledger_.state()["cursor"] = last;
  return chosen;
}

void Rotation::Record(const VerifyItem& item, const VerifyOutcome& outcome) {
  if (outcome.kind == VerifyOutcome::kError) return;  // unknown: neither good nor bad
  ledger_.Record(
      item.key, outcome.kind == VerifyOutcome::kOk,
      {{"size", item.size}, {"mtime", item.mtime_ns}, {"expected", item.expected}, {"at", absl::ToUnixSeconds(now_)}});
}

absl::Duration Rotation::CoverageAge(const std::vector<VerifyItem>& items) const {
  absl::Time oldest = now_;
  for (const auto& item : items) {
    // Never read back intact since it was written: since its modification time.
    const std::optional<absl::Time> read = Unchanged(item) ? ledger_.ReadIntactAt(item.key) : std::nullopt;
    oldest = std::min(oldest, read.value_or(absl::FromUnixNanos(item.mtime_ns)));
  }
  return now_ - oldest;
}

double Rotation::Coverage(const std::vector<VerifyItem>& items) const {
  std::vector<RotationLedger::Item> weighted;
  for (const auto& item : items) weighted.push_back({item.key, static_cast<double>(item.size), Unchanged(item)});
  return ledger_.Coverage(weighted);
}

std::vector<std::string> Rotation::KnownCorrupt(const std::vector<VerifyItem>& items) const {
  std::vector<std::string> out;
  for (const auto& item : items) {
    if (Unchanged(item) && ledger_.LastReadDamaged(item.key)) out.push_back(item.key);
  }
  return out;
}

nlohmann::json Rotation::Finish(const std::vector<VerifyItem>& items) {
  std::set<std::string> keys;
  for (const auto& item : items) keys.insert(item.key);
  ledger_.Retain(keys);
  return ledger_.state();
}

}  // namespace paraat
