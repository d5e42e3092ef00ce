// The console's read-only pages: Overview, Plan and Fleet.
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "collector/evaluation/plan_status.h"
#include "collector/serving/console/console.h"
#include "common/plan_format.h"
#include "common/time_util.h"

namespace paraat {

using console::Caller;
using console::Data;
using console::List;

namespace {

std::string TestLabel(const Localizer& loc, const std::string& test) { return loc.T(absl::StrCat("test.", test)); }

// "12 min of 15 min".
std::string RpoText(const Localizer& loc, const paraat::v1::PlanStatus& s) {
  return loc.F("value.of", {{"a", s.has_achieved_rpo_ns() ? loc.Duration(absl::Nanoseconds(s.achieved_rpo_ns()))
                                                          : loc.T("value.none")},
                            {"b", loc.Duration(absl::Nanoseconds(s.rpo_ns()))}});
}

std::string RestoreText(const Localizer& loc, const paraat::v1::PlanStatus& s, absl::Time now) {
  std::string last = loc.T("value.none");
  if (s.has_restore_test_unix_ns()) {
    last = s.restore_test_succeeded() && s.has_restore_test_duration_seconds()
               ? loc.Duration(absl::Seconds(s.restore_test_duration_seconds()))
               : loc.T("status.failed");
    absl::StrAppend(&last, ", ", loc.Relative(FromUnixNs(s.restore_test_unix_ns()), now));
  }
  return loc.F("value.of", {{"a", last}, {"b", loc.Duration(absl::Nanoseconds(s.rto_ns()))}});
}

// The test due first, as {test, when{iso,text}, overdue}.
const paraat::v1::TestDue* FirstDue(const paraat::v1::PlanStatus& s) {
  const paraat::v1::TestDue* first = nullptr;
  for (const auto& t : s.tests()) {
    if (first == nullptr || t.due_unix_ns() < first->due_unix_ns()) first = &t;
  }
  return first;
}

// A test never done is due now.
absl::Time DueTime(const paraat::v1::TestDue& t, absl::Time now) {
  return t.due_unix_ns() > 0 ? FromUnixNs(t.due_unix_ns()) : now;
}

Data DueData(const Localizer& loc, const paraat::v1::TestDue& t, absl::Time now) {
  Data d = console::TimeData(loc, DueTime(t, now));
  d.set("text", absl::StrCat(TestLabel(loc, t.test()), ": ", loc.DateTime(DueTime(t, now))));
  return d;
}

Data Options(const std::set<std::string>& values, const std::string& selected) {
  List l;
  for (const std::string& v : values) {
    Data d;
    d.set("value", v);
    d.set("selected", v == selected);
    l.push_back(d);
  }
  return Data(l);
}

// A plan's incident for the overview: open ones with their clock, closed ones with NIS2
// reports still due.
Data IncidentRow(const Localizer& loc, const paraat::v1::PlanStatus& s, absl::Time now) {
  Data r = console::IncidentClockData(loc, s, now);
  r.set("id", s.plan_id());
  r.set("id_url", UrlEncode(s.plan_id()));
  r.set("name", s.name());
  if (s.mtpd_ns() == 0) r.set("mtpd", loc.T("value.not_set"));
  return r;
}

}  // namespace

HttpResponse WebConsole::Overview(const HttpRequest& req, Caller& c) {
  const Localizer& loc = c.loc;
  auto snap = deps_.loop->snapshot();
  const absl::Time now = deps_.clock->Now();
  const std::string& owner = req.Param("owner");
  const std::string& tier = req.Param("tier");
  const std::string& state = req.Param("state");
  std::vector<paraat::v1::PlanStatus> statuses = SortedStatuses(*snap);
  std::map<paraat::v1::PlanState, uint64_t> counts;
  std::set<std::string> owners, tiers;
  List rows, due, incidents;
  size_t shown = 0;
  for (const auto& s : statuses) {
    ++counts[s.state()];
    if (s.has_incident()) incidents.push_back(IncidentRow(loc, s, now));
    if (!s.owner().empty()) owners.insert(s.owner());
    tiers.insert(absl::StrCat(s.tier()));
    if ((!owner.empty() && s.owner() != owner) || (!tier.empty() && absl::StrCat(s.tier()) != tier) ||
        (!state.empty() && StateName(s.state()) != state)) {
      continue;
    }
    ++shown;
    Data r;
    r.set("id", s.plan_id());
    r.set("id_url", UrlEncode(s.plan_id()));
    r.set("name", s.name());
    console::SetText(&r, "owner", s.owner());
    r.set("tier_label", absl::StrCat(loc.T("col.tier"), " ", s.tier()));
    r.set("state", StateName(s.state()));
    r.set("state_label", console::StateLabel(loc, s.state()));
    r.set("rpo", RpoText(loc, s));
    r.set("rto", RestoreText(loc, s, now));
    r.set("assurance", AssuranceCell(s, loc));
    if (const paraat::v1::TestDue* first = FirstDue(s)) r.set("next_due", DueData(loc, *first, now));
    std::vector<std::string> reasons;
    for (const auto& reason : s.reasons()) reasons.push_back(ReasonPageText(reason, loc));
    r.set("has_reasons", !reasons.empty());
    r.set("reasons", console::StringList(reasons));
    rows.push_back(r);
    for (const auto& t : s.tests()) {
      if (DueTime(t, now) > now + absl::Hours(24 * 30)) continue;
      Data d;
      d.set("when", console::TimeData(loc, DueTime(t, now)));
      d.set("overdue", DueTime(t, now) <= now);
      d.set("id", s.plan_id());
      d.set("id_url", UrlEncode(s.plan_id()));
      d.set("test", TestLabel(loc, t.test()));
      if (t.last_unix_ns() > 0) d.set("last", console::TimeData(loc, FromUnixNs(t.last_unix_ns())));
      due.push_back(d);
    }
  }
  List count_list, state_options;
  for (auto st : {paraat::v1::PLAN_STATE_NOT_READY, paraat::v1::PLAN_STATE_UNKNOWN, paraat::v1::PLAN_STATE_AT_RISK,
                  paraat::v1::PLAN_STATE_READY}) {
    Data d;
    d.set("state", StateName(st));
    d.set("value", StateName(st));
    d.set("label", console::StateLabel(loc, st));
    d.set("n", loc.Integer(static_cast<int64_t>(counts[st])));
    d.set("selected", StateName(st) == state);
    count_list.push_back(d);
    state_options.push_back(d);
  }
  Data d;
  d.set("counts", count_list);
  d.set("states", state_options);
  d.set("owners", Options(owners, owner));
  d.set("tiers", Options(tiers, tier));
  d.set("filtered", !owner.empty() || !tier.empty() || !state.empty());
  d.set("no_plans", statuses.empty());
  d.set("no_match", !statuses.empty() && shown == 0);
  d.set("has_rows", shown > 0);
  d.set("shown", loc.F("overview.shown", {{"shown", loc.Integer(static_cast<int64_t>(shown))},
                                          {"total", loc.Integer(static_cast<int64_t>(statuses.size()))}}));
  d.set("plans", rows);
  d.set("has_incidents", !incidents.empty());
  d.set("incidents", incidents);
  d.set("has_due", !due.empty());
  d.set("due", due);
  return console::Page(req, c, *this, "overview", loc.T("overview.title"), "overview", std::move(d));
}

HttpResponse WebConsole::Agents(const HttpRequest& req, Caller& c) {
  const Localizer& loc = c.loc;
  std::map<std::string, int> checks;
  deps_.state->ForEachSource([&](const std::string&, const SourceState& s) { ++checks[s.agent]; });
  List rows;
  for (const AgentInfo& a : deps_.agents->Snapshot()) {
    Data d;
    d.set("id", a.id);
    d.set("host", a.hostname);
    d.set("version", a.version);
    d.set("connected", a.connected_streams > 0 ? loc.T("agents.online") : loc.T("agents.offline"));
    d.set("last_seen", console::TimeData(loc, a.last_seen));
    d.set("checks", loc.Integer(checks[a.id]));
    d.set("spool", a.status.spool_max_bytes() > 0 ? loc.F("value.of", {{"a", loc.Size(a.status.spool_bytes())},
                                                                       {"b", loc.Size(a.status.spool_max_bytes())}})
                                                  : loc.Size(a.status.spool_bytes()));
    d.set("dropped", loc.Integer(static_cast<int64_t>(a.status.dropped_results_total())));
    rows.push_back(d);
  }
  Data d;
  d.set("has_agents", !rows.empty());
  d.set("agents", rows);
  return console::Page(req, c, *this, "agents", loc.T("agents.title"), "agents", std::move(d));
}

}  // namespace paraat
