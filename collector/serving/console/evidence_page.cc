// The console's evidence page: records newest first, filtered by plan, source, kind and period,
// paginated by key (`before`: the seq the page ends below), so that a page reads a few
// thousand records at most however large the store; and the downloads, which run the query
// API's export (EvidenceExport) into the same sinks as paraatctl (report/export.h).
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <streambuf>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collector/serving/console/console.h"
#include "collector/store/evidence_chain.h"
#include "common/ids.h"
#include "common/sha256.h"
#include "common/time_util.h"
#include "report/export.h"

namespace paraat {

using console::Caller;
using console::Data;
using console::List;

namespace {

constexpr size_t kPageSize = 50;
constexpr uint64_t kChunk = 1000;         // seqs scanned backwards at a time
constexpr uint64_t kScanLimit = 200'000;  // records one page request examines at most
constexpr const char* kKinds[] = {"result", "transition", "exercise", "plan_change", "gap", "prune"};

struct EvidenceFilter {
  std::string plan, source, kind, since_text, until_text;
  std::optional<absl::Time> since, until;  // until: the end of that day
  std::vector<std::string> errors;
};

EvidenceFilter ParseFilter(const HttpRequest& req, const Localizer& loc) {
  EvidenceFilter f;
  f.plan = req.Param("plan");
  f.source = req.Param("source");
  f.kind = req.Param("kind");
  f.since_text = req.Param("since");
  f.until_text = req.Param("until");
  auto day = [&](const std::string& text, const char* field) -> std::optional<absl::Time> {
    if (text.empty()) return std::nullopt;
    absl::Time t;
    std::string err;
    if (!absl::ParseTime("%Y-%m-%d", text, loc.zone(), &t, &err)) {
      f.errors.push_back(loc.F("evidence.bad_date", {{"field", loc.T(field)}}));
      return std::nullopt;
    }
    return t;
  };
  f.since = day(f.since_text, "evidence.filter.since");
  f.until = day(f.until_text, "evidence.filter.until");
  if (f.until) *f.until += absl::Hours(24);
  return f;
}

// Whether a record passes the filter (routing: the plan filter's plan only).
bool Matches(const EvidenceFilter& f, const StoredRecord& r, const paraat::v1::EvidenceRecord& rec,
             ExportRouting* routing) {
  if (!f.kind.empty() && f.kind != RecordTypeName(r.type)) return false;
  if (!f.source.empty()) {
    if (r.type != RecordType::kResult) return false;
    const std::string key = SourceKey(rec.result().agent_id(), rec.result().result().check_id());
    if (key != f.source && rec.result().agent_id() != f.source) return false;
  }
  if (routing != nullptr && routing->PlansFor(r.type, rec) == nullptr) return false;
  return true;
}

Data RecordRow(const Localizer& loc, const StoredRecord& r, const paraat::v1::EvidenceRecord& rec) {
  Data d;
  d.set("seq", absl::StrCat(r.seq));
  d.set("at", console::TimeData(loc, FromUnixNs(r.recorded_ns)));
  d.set("type", loc.T(absl::StrCat("kind.", RecordTypeName(r.type))));
  std::string plans, source, summary;
  switch (r.type) {
    case RecordType::kResult: {
      const auto& res = rec.result().result();
      source = SourceKey(rec.result().agent_id(), res.check_id());
      summary = absl::StrCat(StatusWord(res.status()), res.message().empty() ? "" : ": ", res.message());
      break;
    }
    case RecordType::kTransition:
      plans = rec.transition().plan_id();
      summary = loc.F("summary.transition", {{"from", console::StateLabel(loc, rec.transition().from())},
                                             {"to", console::StateLabel(loc, rec.transition().to())}});
      break;
    case RecordType::kExercise:
      plans = rec.exercise().plan_id();
      summary =
          loc.F("summary.exercise",
                {{"kind", loc.T(absl::StrCat("exercise.kind.", rec.exercise().kind()))},
                 {"outcome", rec.exercise().passed() ? loc.T("exercise.passed.yes") : loc.T("exercise.passed.no")}});
      break;
    case RecordType::kPlanChange:
      plans = rec.plan_change().plan_id();
      summary =
          loc.F("summary.plan_change", {{"change", rec.plan_change().change()}, {"file", rec.plan_change().file()}});
      break;
    case RecordType::kGap:
      source = rec.gap().agent_id();
      summary = loc.F("summary.gap", {{"agent", rec.gap().agent_id()}});
      break;
    case RecordType::kPrune:
      summary = loc.T("summary.prune");
      break;
    case RecordType::kReview:
      plans = rec.review().plan_id();
      summary = loc.F("summary.review", {{"by", rec.review().reviewed_by()}});
      break;
    case RecordType::kIncident:
      plans = rec.incident().plan_id();
      summary =
          loc.F("summary.incident",
                {{"event", rec.incident().event() == "report" ? rec.incident().report_kind() : rec.incident().event()},
                 {"summary", rec.incident().summary()}});
      break;
    case RecordType::kCheckpoint:
      summary = loc.F("summary.checkpoint", {{"size", std::to_string(rec.checkpoint().tree_size())}});
      break;
  }
  d.set("plans", plans);
  d.set("source", source);
  d.set("summary", summary);
  const std::string hash = ToHex(reinterpret_cast<const uint8_t*>(r.hash.data()), r.hash.size());
  d.set("hash", hash);
  d.set("hash_short", hash.substr(0, 12));
  return d;
}

Data ChainData(const Localizer& loc, const std::optional<paraat::v1::ChainVerification>& v) {
  Data d;
  if (!v) {
    d.set("chain_state", "pending");
    d.set("chain_class", "");
    d.set("chain_text", loc.T("evidence.chain.pending"));
  } else if (v->ok()) {
    d.set("chain_state", "ok");
    d.set("chain_class", "utrecht-alert--ok");
    d.set("chain_text", loc.F("evidence.chain.ok", {{"n", loc.Integer(static_cast<int64_t>(v->records_checked()))},
                                                    {"when", loc.DateTime(FromUnixNs(v->verified_unix_ns()))}}));
  } else {
    d.set("chain_state", "broken");
    d.set("chain_class", "utrecht-alert--error");
    d.set("chain_text", loc.F("evidence.chain.broken", {{"seq", absl::StrCat(v->first_bad_seq())},
                                                        {"problem", v->problem()},
                                                        {"when", loc.DateTime(FromUnixNs(v->verified_unix_ns()))}}));
  }
  return d;
}

}  // namespace

HttpResponse WebConsole::Evidence(const HttpRequest& req, Caller& c) {
  const Localizer& loc = c.loc;
  EvidenceFilter f = ParseFilter(req, loc);
  auto snap = deps_.loop->snapshot();
  const absl::Time now = deps_.clock->Now();
  std::optional<ExportRouting> routing;
  if (const PlanView* v = f.plan.empty() ? nullptr : snap->Find(f.plan))
    routing.emplace(std::vector<const PlanView*>{v});
  auto lo = f.since ? deps_.store->FirstSeqAtOrAfter(*f.since) : absl::StatusOr<uint64_t>(1);
  auto hi = deps_.store->FirstSeqAtOrAfter(f.until.value_or(now + absl::Hours(1)));
  if (!lo.ok() || !hi.ok()) {
    return console::ErrorPage(req, c, *this, 503,
                              loc.F("error.store", {{"problem", std::string((lo.ok() ? hi : lo).status().message())}}));
  }
  uint64_t top = *hi;  // exclusive
  uint64_t before = 0;
  if (absl::SimpleAtoi(req.Param("before"), &before) && before < top) top = before;
  const uint64_t bottom = std::max<uint64_t>(*lo, 1);
  List rows;
  uint64_t scanned = 0, first_shown = 0, last_shown = 0, low = top;
  while (rows.size() < kPageSize && low > bottom && scanned < kScanLimit) {
    const uint64_t chunk_lo = low - bottom > kChunk ? low - kChunk : bottom;
    std::vector<Data> chunk;
    std::vector<uint64_t> chunk_seqs;
    absl::Status st = deps_.store->Scan(chunk_lo, low - 1, [&](const StoredRecord& r) {
      paraat::v1::EvidenceRecord rec;
      if (rec.ParseFromString(r.payload) && Matches(f, r, rec, routing ? &*routing : nullptr)) {
        chunk.push_back(RecordRow(loc, r, rec));
        chunk_seqs.push_back(r.seq);
      }
      return true;
    });
    if (!st.ok())
      return console::ErrorPage(req, c, *this, 503, loc.F("error.store", {{"problem", std::string(st.message())}}));
    scanned += low - chunk_lo;
    low = chunk_lo;
    // Newest first; a chunk may hold more than the page needs.
    for (size_t i = chunk.size(); i-- > 0 && rows.size() < kPageSize;) {
      if (rows.empty()) first_shown = chunk_seqs[i];
      rows.push_back(chunk[i]);
      last_shown = chunk_seqs[i];
      if (rows.size() == kPageSize) low = chunk_seqs[i];
    }
  }
  Data d = ChainData(loc, deps_.chain ? deps_.chain() : std::nullopt);
  if (!f.plan.empty() && !routing) f.errors.push_back(loc.F("plan.not_found", {{"id", f.plan}}));
  d.set("has_errors", !f.errors.empty());
  d.set("errors", console::StringList(f.errors));
  std::set<std::string> plan_ids;
  for (const PlanView& v : snap->plans) plan_ids.insert(v.plan->id);
  List plans, kinds, downloads;
  for (const std::string& id : plan_ids) {
    Data o;
    o.set("value", id);
    o.set("selected", id == f.plan);
    plans.push_back(o);
  }
  for (const char* k : kKinds) {
    Data o;
    o.set("value", k);
    o.set("label", loc.T(absl::StrCat("kind.", k)));
    o.set("selected", f.kind == k);
    kinds.push_back(o);
  }
  std::map<std::string, std::string> params = req.params;
  params.erase("before");
  params.erase("lang");
  for (const char* fmt : {"csv", "json", "oscal", "html"}) {
    std::map<std::string, std::string> p = params;
    p["format"] = fmt;
    Data o;
    o.set("href", absl::StrCat("/evidence/export?", QueryString(p)));
    o.set("label", loc.T(absl::StrCat("evidence.download.", fmt)));
    downloads.push_back(o);
  }
  d.set("plans", plans);
  d.set("kinds", kinds);
  d.set("downloads", downloads);
  d.set("source", f.source);
  d.set("since", f.since_text);
  d.set("until", f.until_text);
  d.set("has_records", !rows.empty());
  d.set("records", rows);
  d.set("page_label", rows.empty() ? loc.T("evidence.title")
                                   : loc.F("evidence.page",
                                           {{"first", absl::StrCat(first_shown)}, {"last", absl::StrCat(last_shown)}}));
  if (rows.empty() && low > bottom)
    d.set("searched", loc.F("evidence.searched", {{"n", loc.Integer(static_cast<int64_t>(scanned))}}));
  if (low > bottom) {
    params["before"] = absl::StrCat(rows.empty() ? low : last_shown);
    d.set("older_href", absl::StrCat("/evidence?", QueryString(params)));
  }
  if (before != 0) {
    params.erase("before");
    d.set("newest_href", absl::StrCat("/evidence?", QueryString(params)));
  }
  return console::Page(req, c, *this, "evidence", loc.T("evidence.title"), "evidence", std::move(d));
}

}  // namespace paraat
