// Micro-benchmarks (Google Benchmark) of the collector's hot paths, each beside its reference:
//
//   batch decode + validation     vs  decoding alone (the wire format's floor)
//   chain hashing of a record     vs  one SHA-256 of the same bytes (OpenSSL, what it builds on)
//   chain verification            vs  the same hashing without the checks (records/s)
//   evaluation of 10,000 plans    vs  the same, looking every source up each time (target: <= 50 ms)
//   /metrics text for 100,000 checks   vs  prometheus-cpp's TextSerializer for the same series
//   the agent's edge (PrepareForWire) on a result   vs  copying the same strings (issue 13)
//
//   build/bench/micro_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "collector/evaluation/evaluator.h"
#include "collector/evaluation/plan.h"
#include "collector/evaluation/state.h"
#include "collector/ingest/validation.h"
#include "collector/serving/metrics_exporter.h"
#include "collector/store/evidence_chain.h"
#include "common/proto_text.h"
#include "common/sha256.h"
#include "paraat/v1/agent.pb.h"
#include "paraat/v1/evidence.pb.h"
#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"

namespace paraat {
namespace {

// A result as a file_backup check with a verified checksum reports it.
paraat::v1::Result BackupResult(int check, absl::Time now) {
  paraat::v1::Result r;
  r.set_check_id(absl::StrFormat("check-%02d", check));
  r.set_kind("file_backup");
  r.set_status(paraat::v1::CHECK_STATUS_OK);
  r.set_started_unix_ns(absl::ToUnixNanos(now));
  r.set_duration_ns(350'000'000);
  r.set_interval_ns(900'000'000'000);
  r.set_message("newest backup /backups/db/db-20261129T031500.dump, 1.2 GiB, sha256 verified");
  r.mutable_facts()->set_recovery_point_unix_ns(absl::ToUnixNanos(now - absl::Minutes(7)));
  r.mutable_facts()->set_integrity(paraat::v1::INTEGRITY_VERIFIED);
  r.mutable_facts()->set_verified_bytes(1'288'490'188);
  r.mutable_facts()->set_verified_objects(1);
  r.mutable_facts()->set_coverage(1);
  auto* d = r.add_details();
  d->set_key("sha256");
  d->set_value("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
  auto* v = r.add_values();
  v->set_name("size");
  v->set_value(1'288'490'188);
  v->set_unit("B");
  return r;
}

std::string BatchBytes(int results) {
  paraat::v1::AgentMessage m;
  m.mutable_batch()->set_sequence(42);
  for (int i = 0; i < results; ++i) *m.mutable_batch()->add_results() = BackupResult(i % 20, absl::Now());
  return m.SerializeAsString();
}

void BM_DecodeBatch(benchmark::State& st) {
  const std::string bytes = BatchBytes(50);
  paraat::v1::AgentMessage m;
  for (auto _ : st) {
    benchmark::DoNotOptimize(m.ParseFromString(bytes));
  }
  st.SetItemsProcessed(st.iterations() * 50);
}
BENCHMARK(BM_DecodeBatch);

void BM_DecodeAndValidateBatch(benchmark::State& st) {
  const std::string bytes = BatchBytes(50);
  paraat::v1::AgentMessage m;
  const IngestLimits limits;
  for (auto _ : st) {
    m.ParseFromString(bytes);
    benchmark::DoNotOptimize(ValidateBatch(m.batch(), limits));
  }
  st.SetItemsProcessed(st.iterations() * 50);
}
BENCHMARK(BM_DecodeAndValidateBatch);

std::string RecordPayload() {
  paraat::v1::EvidenceRecord rec;
  rec.mutable_result()->set_agent_id("db-01.example.org");
  rec.mutable_result()->set_spool_epoch(0x1234567890abcdef);
  rec.mutable_result()->set_batch_sequence(42);
  *rec.mutable_result()->mutable_result() = BackupResult(3, absl::Now());
  return rec.SerializeAsString();
}

void BM_Sha256OfRecord(benchmark::State& st) {  // reference for the chain
  const std::string payload = RecordPayload();
  for (auto _ : st) benchmark::DoNotOptimize(Sha256Of(payload));
  st.SetItemsProcessed(st.iterations());
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(payload.size()));
}
BENCHMARK(BM_Sha256OfRecord);

void BM_ChainHashRecord(benchmark::State& st) {
  const std::string payload = RecordPayload();
  ChainHasher hasher;
  Digest prev = GenesisHash();
  uint64_t seq = 0;
  for (auto _ : st) {
    prev = hasher.Next(prev, ++seq, 1'795'960'926'000'000'000, RecordType::kResult, payload);
    benchmark::DoNotOptimize(prev);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_ChainHashRecord);

void BM_ChainVerify(benchmark::State& st) {
  constexpr int kRecords = 100'000;
  const std::string payload = RecordPayload();
  std::vector<std::string> hashes;
  ChainHasher hasher;
  Digest prev = GenesisHash();
  for (int i = 1; i <= kRecords; ++i) {
    prev = hasher.Next(prev, i, 1'795'960'926'000'000'000 + i, RecordType::kResult, payload);
    hashes.emplace_back(reinterpret_cast<const char*>(prev.data()), prev.size());
  }
  for (auto _ : st) {
    ChainVerifier v(0, GenesisHash());
    for (int i = 1; i <= kRecords; ++i) {
      v.Feed(i, 1'795'960'926'000'000'000 + i, static_cast<int>(RecordType::kResult), payload, hashes[i - 1]);
    }
    if (v.checked() != kRecords) st.SkipWithError("chain did not verify");
  }
  st.SetItemsProcessed(st.iterations() * kRecords);
}
BENCHMARK(BM_ChainVerify)->Unit(benchmark::kMillisecond);

// 10,000 plans, each over 10 of 100,000 sources that all have results.
struct Fleet {
  std::vector<Plan> plans;
  EvidenceState state;
  Fleet(int plans_n, int sources_n) {
    const absl::Time now = absl::Now();
    for (int a = 0; a < sources_n / 100; ++a) {
      std::vector<CheckObservation> obs;
      for (int c = 0; c < 100; ++c) {
        obs.push_back({absl::StrFormat("check-%02d", c), ObservationFromResult(BackupResult(c, now), 0)});
      }
      state.AddResults(absl::StrFormat("agent-%04d", a), std::move(obs), 1 + a * 100, now);
    }
    const int per = sources_n / plans_n;
    for (int p = 0; p < plans_n; ++p) {
      Plan plan;
      plan.id = absl::StrFormat("plan-%05d", p);
      plan.name = plan.id;
      plan.rpo = absl::Hours(1);
      plan.rto = absl::Hours(4);
      plan.restore_every = absl::Hours(24 * 90);
      for (int i = 0; i < per; ++i) {
        const int n = p * per + i;
        plan.recovery_point.push_back(absl::StrFormat("agent-%04d/check-%02d", n / 100, n % 100));
      }
      plan.integrity = {plan.recovery_point[0]};
      plans.push_back(std::move(plan));
    }
  }
};

// As EvaluationLoop does it: in chunks of 256 plans under the read lock, each plan's sources
// resolved once (`resolved`), or looked up in the state on every evaluation (reference).
void EvaluateAll(benchmark::State& st, bool resolved) {
  static Fleet* fleet = new Fleet(10'000, 100'000);
  std::vector<ResolvedSources> views;
  for (const Plan& p : fleet->plans) views.emplace_back(fleet->state, p);
  const absl::Time now = absl::Now();
  for (auto _ : st) {
    int ready = 0;
    for (size_t i = 0; i < fleet->plans.size(); i += 256) {
      EvidenceState::ReadLock lock(fleet->state);
      for (size_t j = i; j < std::min(fleet->plans.size(), i + 256); ++j) {
        if (resolved) views[j].Refresh();
        const EvidenceView& view = resolved ? static_cast<const EvidenceView&>(views[j]) : fleet->state;
        ready += Evaluate(fleet->plans[j], view, now).state == paraat::v1::PLAN_STATE_READY;
      }
    }
    benchmark::DoNotOptimize(ready);
  }
  st.SetItemsProcessed(st.iterations() * 10'000);
}
void BM_Evaluate10kPlans(benchmark::State& st) { EvaluateAll(st, true); }
void BM_Evaluate10kPlansLookingUpEachSource(benchmark::State& st) { EvaluateAll(st, false); }
BENCHMARK(BM_Evaluate10kPlans)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Evaluate10kPlansLookingUpEachSource)->Unit(benchmark::kMillisecond);

// The check families of /metrics for 100,000 checks: Paraat's text writer against building
// prometheus-cpp MetricFamily objects and serialising them, for the same series.
void BM_MetricsText100kChecks(benchmark::State& st) {
  static Fleet* fleet = new Fleet(10'000, 100'000);
  size_t bytes = 0;
  for (auto _ : st) {
    TextFamily up("paraat_check_up", "help");
    TextFamily last("paraat_check_last_run_timestamp_seconds", "help");
    TextFamily rp("paraat_check_recovery_point_timestamp_seconds", "help");
    std::string l, out;
    fleet->state.ForEachSource([&](const std::string&, const SourceState& s) {
      l.clear();
      AppendLabel(&l, "agent", s.agent);
      AppendLabel(&l, "check", s.check);
      AppendLabel(&l, "kind", s.latest->kind);
      up.Add(l, 1);
      last.Add(l, absl::ToDoubleSeconds(s.latest->started - absl::UnixEpoch()));
      rp.Add(l, absl::ToDoubleSeconds(*s.latest->recovery_point - absl::UnixEpoch()));
    });
    for (const TextFamily* f : {&up, &last, &rp}) f->AppendTo(&out);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  st.counters["bytes"] = static_cast<double>(bytes);
  st.SetItemsProcessed(st.iterations() * 300'000);
}
BENCHMARK(BM_MetricsText100kChecks)->Unit(benchmark::kMillisecond);

void BM_PrometheusCppText100kChecks(benchmark::State& st) {  // reference
  static Fleet* fleet = new Fleet(10'000, 100'000);
  size_t bytes = 0;
  for (auto _ : st) {
    std::vector<prometheus::MetricFamily> families(3);
    const char* names[] = {"paraat_check_up", "paraat_check_last_run_timestamp_seconds",
                           "paraat_check_recovery_point_timestamp_seconds"};
    for (int i = 0; i < 3; ++i) {
      families[i].name = names[i];
      families[i].help = "help";
      families[i].type = prometheus::MetricType::Gauge;
    }
    fleet->state.ForEachSource([&](const std::string&, const SourceState& s) {
      const double values[] = {1, absl::ToDoubleSeconds(s.latest->started - absl::UnixEpoch()),
                               absl::ToDoubleSeconds(*s.latest->recovery_point - absl::UnixEpoch())};
      for (int i = 0; i < 3; ++i) {
        prometheus::ClientMetric m;
        m.label = {{"agent", s.agent}, {"check", s.check}, {"kind", s.latest->kind}};
        m.gauge.value = values[i];
        families[i].metric.push_back(std::move(m));
      }
    });
    const std::string out = prometheus::TextSerializer().Serialize(families);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  st.counters["bytes"] = static_cast<double>(bytes);
  st.SetItemsProcessed(st.iterations() * 300'000);
}
BENCHMARK(BM_PrometheusCppText100kChecks)->Unit(benchmark::kMillisecond);

// A result as a file_backup check reports it, with a tool's output tail and the usual details;
// `latin1` puts a Latin-1 file name in the message and a detail.
paraat::v1::Result TypicalResult(bool latin1) {
  paraat::v1::Result r = BackupResult(1, absl::FromUnixSeconds(1'800'000'000));
  const std::string file = latin1 ? "/backups/db/caf\xe9-20261129T031500.dump" : "/backups/db/db-20261129T031500.dump";
  r.set_message(absl::StrCat("newest backup ", file, ", 1.2 GiB, sha256 verified"));
  for (const auto& [k, v] : {std::pair<std::string, std::string>{"pattern", "/backups/db/*.dump"},
                             {"file", file},
                             {"size", "1288490188"},
                             {"mtime", "2026-11-29T03:15:00Z"}}) {
    auto* d = r.add_details();
    d->set_key(k);
    d->set_value(v);
  }
  std::string tail;
  for (int i = 0; i < 20; ++i)
    absl::StrAppend(&tail, "2026-11-29 03:15:", i, " INFO archived segment 0000000", i, "\n");
  r.set_output_tail(tail);
  auto* l = r.add_labels();
  l->set_name("team");
  l->set_value("burgerzaken");
  return r;
}

// Reference: copying every string of the result once.
void CopyStrings(const paraat::v1::Result& r, std::vector<std::string>* out) {
  size_t i = 0;
  auto put = [&](const std::string& s) { (*out)[i++] = s; };
  put(r.check_id());
  put(r.kind());
  put(r.message());
  put(r.output_tail());
  for (const auto& d : r.details()) put(d.key()), put(d.value());
  for (const auto& v : r.values()) put(v.name()), put(v.unit());
  for (const auto& l : r.labels()) put(l.name()), put(l.value());
}

void BM_CopyResultStrings(benchmark::State& st) {
  const paraat::v1::Result r = TypicalResult(false);
  std::vector<std::string> out(32);
  for (auto _ : st) {
    CopyStrings(r, &out);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_CopyResultStrings);

// Valid UTF-8 throughout (the common case): one scan of every string, nothing changes.
void BM_PrepareForWire(benchmark::State& st) {
  paraat::v1::Result r = TypicalResult(false);
  for (auto _ : st) {
    PrepareForWire(&r);
    benchmark::DoNotOptimize(r);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_PrepareForWire);

// Context: serializing the same result, which the spool does right after PrepareForWire.
void BM_SerializeResult(benchmark::State& st) {
  const paraat::v1::Result r = TypicalResult(false);
  std::string out;
  for (auto _ : st) {
    r.SerializeToString(&out);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_SerializeResult);

// A Latin-1 file name in two strings, escaped each time: each iteration copies the result first
// (BM_CopyResult alone is that copy).
void BM_CopyResult(benchmark::State& st) {
  const paraat::v1::Result latin = TypicalResult(true);
  for (auto _ : st) {
    paraat::v1::Result r = latin;
    benchmark::DoNotOptimize(r);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_CopyResult);

void BM_CopyAndPrepareLatin1Result(benchmark::State& st) {
  const paraat::v1::Result latin = TypicalResult(true);
  for (auto _ : st) {
    paraat::v1::Result r = latin;
    PrepareForWire(&r);
    benchmark::DoNotOptimize(r);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_CopyAndPrepareLatin1Result);

}  // namespace
}  // namespace paraat

BENCHMARK_MAIN();
