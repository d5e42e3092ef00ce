#include "ctl/commands.h"

#include <algorithm>
#include <fstream>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/cli.h"
#include "common/fs.h"
#include "common/limits.h"
#include "common/plan_format.h"
#include "common/sha256.h"
#include "common/text.h"
#include "common/time_util.h"
#include "common/units.h"
#include "ctl/table.h"
#include "nlohmann/json.hpp"

namespace paraat {
namespace {

using nlohmann::json;

int Usage(CtlEnv& env, const std::string& problem, const char* usage) {
  env.err << "paraatctl: " << problem << "\n\nUsage: " << usage;
  return 2;
}

std::string Rfc3339(int64_t unix_ns) { return FormatUnixNs(unix_ns); }

// The plan's last review and its incident clock (collector/evaluation/continuity.h).
void AddContinuityJson(const paraat::v1::PlanStatus& s, absl::Time now, json* j) {
  if (s.has_review()) {
    (*j)["review"] = {{"reviewed", Rfc3339(s.review().reviewed_unix_ns())},
                      {"by", s.review().reviewed_by()},
                      {"plan_sha256", s.review().plan_sha256()},
                      {"plan_changed_since", s.review().plan_changed()}};
  }
  if (!s.has_incident()) return;
  const auto& i = s.incident();
  json ji = {{"started", Rfc3339(i.started_unix_ns())},
             {"summary", i.summary()},
             {"significant", i.significant()},
             {"open", i.recovered_unix_ns() == 0},
             {"evidence_seq", i.opened_seq()}};
  if (i.recovered_unix_ns()) ji["recovered"] = Rfc3339(i.recovered_unix_ns());
  json deadlines = json::array();
  for (const auto& d : i.deadlines()) {
    deadlines.push_back({{"report", d.report()},
                         {"due", Rfc3339(d.due_unix_ns())},
                         {"done", d.done_unix_ns() ? json(Rfc3339(d.done_unix_ns())) : json(nullptr)}});
  }
  ji["nis2_deadlines"] = deadlines;
  if (i.recovered_unix_ns() == 0) {
    // The clock as `plan show` reads it: when the RTO and MTPD pass (or passed).
    const int64_t started = i.started_unix_ns();
    ji["elapsed_seconds"] = std::max<int64_t>(0, (ToUnixNs(now) - started) / 1000000000);
    ji["rto_at"] = Rfc3339(started + s.rto_ns());
    if (s.mtpd_ns()) ji["mtpd_at"] = Rfc3339(started + s.mtpd_ns());
  } else {
    ji["recovered_in_seconds"] = (i.recovered_unix_ns() - i.started_unix_ns()) / 1000000000;
  }
  json next = nullptr;
  for (const auto& d : i.deadlines()) {
    if (d.done_unix_ns() == 0) {
      next = {{"report", d.report()}, {"due", Rfc3339(d.due_unix_ns())}};
      break;
    }
  }
  ji["next_report_due"] = next;
  (*j)["incident"] = ji;
}

// `plan show --json`'s definition part: what the text shows above the state.
void AddDefinitionJson(const paraat::v1::PlanDefinition& plan, json* j) {
  if (!plan.description().empty()) (*j)["description"] = plan.description();
  (*j)["mtpd_seconds"] = plan.mtpd_ns() ? json(absl::ToDoubleSeconds(FromNs(plan.mtpd_ns()))) : json(nullptr);
  json every = json::object();
  const std::pair<const char*, int64_t> cadences[] = {{"restore", plan.restore_every_ns()},
                                                      {"failover", plan.failover_every_ns()},
                                                      {"exercise", plan.exercise_every_ns()},
                                                      {"review", plan.review_every_ns()},
                                                      {"training", plan.training_every_ns()}};
  for (const auto& [test, ns] : cadences) {
    if (ns) every[test] = absl::ToDoubleSeconds(FromNs(ns));
  }
  (*j)["every_seconds"] = every;
  json contacts = json::array();
  for (const auto& c : plan.contacts()) {
    contacts.push_back({{"role", c.role()}, {"name", c.name()}, {"phone", c.phone()}, {"email", c.email()}});
  }
  (*j)["contacts"] = contacts;
  (*j)["file"] = plan.file();
  (*j)["plan_sha256"] = plan.sha256();
}

json ExerciseJson(const paraat::v1::ExerciseRecord& e) {
  json j = {{"kind", e.kind()},
            {"performed", Rfc3339(e.performed_unix_ns())},
            {"passed", e.passed()},
            {"notes", e.notes()},
            {"recorded_by", e.recorded_by()}};
  if (e.has_duration_seconds()) j["duration_seconds"] = e.duration_seconds();
  if (e.kind() == "training") {
    j["participants"] = e.participants();
    j["topic"] = e.topic();
  }
  if (!e.attachment_sha256().empty())
    j["attachment"] = {{"name", e.attachment_name()}, {"sha256", e.attachment_sha256()}};
  return j;
}

// "restore test", "plan review", "training".
std::string TestLabel(const std::string& test) {
  if (test == "review") return "plan review";
  if (test == "training") return "training";
  return test + " test";
}

json StatusJson(const paraat::v1::PlanStatus& s, absl::Time now) {
  json j;
  j["plan"] = s.plan_id();
  j["name"] = s.name();
  if (!s.owner().empty()) j["owner"] = s.owner();
  if (s.tier()) j["tier"] = s.tier();
  j["state"] = StateName(s.state());
  j["state_since"] = Rfc3339(s.state_since_unix_ns());
  j["rpo_seconds"] = absl::ToDoubleSeconds(FromNs(s.rpo_ns()));
  j["rto_seconds"] = absl::ToDoubleSeconds(FromNs(s.rto_ns()));
  j["achieved_rpo_seconds"] =
      s.has_achieved_rpo_ns() ? json(absl::ToDoubleSeconds(FromNs(s.achieved_rpo_ns()))) : json(nullptr);
  j["recovery_point"] = s.has_recovery_point_unix_ns() ? json(Rfc3339(s.recovery_point_unix_ns())) : json(nullptr);
  if (s.has_restore_test_unix_ns()) {
    j["restore_test"] = {
        {"time", Rfc3339(s.restore_test_unix_ns())},
        {"succeeded", s.restore_test_succeeded()},
        {"duration_seconds",
         s.has_restore_test_duration_seconds() ? json(s.restore_test_duration_seconds()) : json(nullptr)}};
  } else {
    j["restore_test"] = nullptr;
  }
  json tests = json::array();
  for (const auto& t : s.tests()) {
    tests.push_back({{"test", t.test()},
                     {"last", t.last_unix_ns() ? json(Rfc3339(t.last_unix_ns())) : json(nullptr)},
                     {"due", t.last_unix_ns() ? json(Rfc3339(t.due_unix_ns())) : json("now (never done)")}});
  }
  j["tests"] = tests;
  if (s.has_failover_ready()) j["failover_ready"] = s.failover_ready();
  j["stale_sources"] = s.stale_sources();
  json reasons = json::array();
  for (const auto& r : s.reasons()) {
    json jr = {{"code", r.code()}, {"implies", StateName(r.implies())}, {"text", r.text()}};
    if (!r.source().empty()) jr["source"] = r.source();
    reasons.push_back(jr);
  }
  j["reasons"] = reasons;
  j["controls"] = std::vector<std::string>(s.controls().begin(), s.controls().end());
  AddContinuityJson(s, now, &j);
  if (s.depends_on_size()) j["depends_on"] = std::vector<std::string>(s.depends_on().begin(), s.depends_on().end());
  j["own_recovery_seconds"] = s.has_own_recovery_seconds() ? json(s.own_recovery_seconds()) : json(nullptr);
  j["effective_recovery_seconds"] =
      s.has_effective_recovery_seconds() ? json(s.effective_recovery_seconds()) : json(nullptr);
  j["assurance"] = {{"rpo", AssuranceLevelName(s.rpo_assurance())}, {"rto", AssuranceLevelName(s.rto_assurance())}};
  if (s.required_assurance_size()) {
    json required = json::object();
    for (const auto& [objective, level] : s.required_assurance()) required[objective] = AssuranceLevelName(level);
    j["required_assurance"] = required;
  }
  if (s.accepted_unevidenced_size()) {
    json accepted = json::object();
    for (const auto& [objective, why] : s.accepted_unevidenced()) accepted[objective] = why;
    j["accepted_unevidenced"] = accepted;
  }
  return j;
}

// `plan show`'s definition part, in env.lang. Every string from the collector is shown with
// OneLine: agents' messages (and plan text) can neither act on the terminal nor forge a line.
void PrintPlanDefinition(CtlEnv& env, const paraat::v1::PlanDefinition& plan, const Localizer& l) {
  // "  owner:       ": the labels aligned after the longest one.
  size_t width = 0;
  for (const char* k : {"owner", "tier", "description", "objectives", "tests", "contact", "controls", "file"}) {
    width = std::max(width, DisplayWidth(l.T(absl::StrCat("ctl.show.", k))));
  }
  auto line = [&](const char* key, const std::string& value) {
    const std::string label = l.T(absl::StrCat("ctl.show.", key));
    env.out << "  " << label << ":" << std::string(width + 1 - DisplayWidth(label), ' ') << value << "\n";
  };
  auto dur = [&](int64_t ns) { return ShortDuration(FromNs(ns), l); };
  env.out << OneLine(plan.id()) << ": " << OneLine(plan.name()) << "\n";
  if (!plan.owner().empty()) line("owner", OneLine(plan.owner()));
  if (plan.tier()) line("tier", absl::StrCat(plan.tier()));
  if (!plan.description().empty()) line("description", OneLine(plan.description()));
  line("objectives", absl::StrCat("RPO ", dur(plan.rpo_ns()), ", RTO ", dur(plan.rto_ns()),
                                  plan.mtpd_ns() ? absl::StrCat(", MTPD ", dur(plan.mtpd_ns())) : ""));
  std::vector<std::string> cadence;
  const std::pair<const char*, int64_t> every[] = {{"restore", plan.restore_every_ns()},
                                                   {"failover", plan.failover_every_ns()},
                                                   {"exercise", plan.exercise_every_ns()},
                                                   {"review", plan.review_every_ns()},
                                                   {"training", plan.training_every_ns()}};
  for (const auto& [test, ns] : every) {
    if (ns) cadence.push_back(l.F(absl::StrCat("ctl.show.every.", test), {{"d", dur(ns)}}));
  }
  if (!cadence.empty()) line("tests", absl::StrJoin(cadence, ", "));
  for (const auto& c : plan.contacts()) {
    std::vector<std::string> reach;
    if (!c.phone().empty()) reach.push_back(c.phone());
    if (!c.email().empty()) reach.push_back(c.email());
    line("contact",
         absl::StrCat(OneLine(c.role()), ": ", OneLine(c.name()), ", ", OneLine(absl::StrJoin(reach, ", "))));
  }
  if (plan.controls_size()) line("controls", OneLine(absl::StrJoin(plan.controls(), ", ")));
  line("file", OneLine(plan.file()));
}

// `plan show` for people, in env.lang: the definition, the state and its reasons, the sources.
void PrintPlan(CtlEnv& env, const paraat::v1::GetPlanResponse& resp) {
  const Localizer l(env.lang, env.zone);
  const auto& s = resp.status();
  PrintPlanDefinition(env, resp.plan(), l);
  env.out << "\n"
          << l.F("ctl.show.state", {{"state", StateWord(s.state(), l)}, {"since", Rfc3339(s.state_since_unix_ns())}})
          << "\n";
  env.out << "  " << l.F("ctl.show.rpo", {{"cell", RpoCell(s, l)}}) << "\n";
  env.out << "  " << l.F("ctl.show.restore", {{"cell", RestoreCell(s, env.now, l)}}) << "\n";
  env.out << "  " << l.F("ctl.show.assurance", {{"cell", AssuranceCell(s, l)}}) << "\n";
  PrintRecoveryChain(env, s);
  for (const auto& t : s.tests()) {
    const std::string* word = l.Find(absl::StrCat("ctl.testlabel.", t.test()));
    env.out << "  "
            << l.F("ctl.show.test", {{"test", word ? *word : OneLine(TestLabel(t.test()))},
                                     {"last", t.last_unix_ns() ? Rfc3339(t.last_unix_ns()) : l.T("ctl.show.never")},
                                     {"due", t.last_unix_ns() ? Rfc3339(t.due_unix_ns()) : l.T("ctl.show.now")}})
            << "\n";
  }
  if (s.has_review()) {
    env.out << "  "
            << l.F(s.review().plan_changed() ? "ctl.show.review.changed" : "ctl.show.review",
                   {{"when", Rfc3339(s.review().reviewed_unix_ns())}, {"by", OneLine(s.review().reviewed_by())}})
            << "\n";
  }
  for (const auto& r : s.reasons()) {
    env.out << "  - [" << StateWord(r.implies(), l) << "] " << OneLine(ReasonText(r, l)) << "\n";
  }
  if (s.reasons_size() == 0) env.out << "  - " << l.T("reasons.none") << "\n";
  if (s.has_incident()) {
    env.out << "\n";
    PrintIncident(env, s, env.now);
  }
  env.out << "\n" << l.T("ctl.show.sources") << "\n";
  TextTable t({l.T("ctl.col.role"), l.T("ctl.col.source"), l.T("ctl.col.kind"), l.T("ctl.col.status"),
               l.T("ctl.col.ran"), l.T("ctl.col.message")});
  for (const auto& src : resp.sources()) {
    if (!src.seen()) {
      t.AddRow({src.role(), src.source(), "-", l.T("ctl.show.never_seen"), "-", l.T("ctl.show.no_result")});
      continue;
    }
    std::string status = absl::AsciiStrToLower(paraat::v1::CheckStatus_Name(src.latest().status()).substr(13));
    if (const std::string* word = l.Find("status." + status)) status = *word;
    if (!src.fresh()) status = l.F("ctl.show.stale", {{"status", status}});
    t.AddRow({src.role(), src.source(), src.kind(), status,
              l.F("time.ago", {{"d", ShortDuration(env.now - FromUnixNs(src.latest().started_unix_ns()), l)}}),
              src.latest().message()});
  }
  env.out << t.Render();
  if (resp.exercises_size() > 0) {
    env.out << "\n" << l.T("ctl.show.exercises") << "\n";
    for (const auto& e : resp.exercises()) {
      env.out << "  " << OneLine(e.kind()) << " " << Rfc3339(e.performed_unix_ns()) << " "
              << l.T(e.passed() ? "ctl.show.passed" : "ctl.show.failed")
              << (e.notes().empty() ? "" : ": " + OneLine(e.notes())) << "\n";
    }
  }
}

}  // namespace

int Fail(CtlEnv& env, const absl::Status& status) {
  env.err << "paraatctl: " << OneLine(status.message()) << "\n";
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
      return 2;
    default:
      return 1;
  }
}

int CmdStatus(CtlEnv& env, int argc, char** argv) {
  static const char* kUsage = "paraatctl status [--json]\n";
  bool as_json = false;
  ArgParser p;
  p.Flag("json", &as_json);
  if (auto st = p.Parse(argc, argv); !st.ok()) return Usage(env, std::string(st.message()), kUsage);
  if (!p.positional().empty()) return Usage(env, "unexpected argument " + p.positional()[0], kUsage);

  paraat::v1::GetStatusResponse resp;
  auto ctx = env.client->Context();
  grpc::Status gs = env.client->stub().GetStatus(ctx.get(), {}, &resp);
  if (!gs.ok()) return Fail(env, FromGrpc(gs, env.client->target()));
  const absl::Time now = resp.now_unix_ns() ? FromUnixNs(resp.now_unix_ns()) : env.now;
  const bool store_down = resp.has_store() && !resp.store().available();
  if (as_json) {
    json j = {{"generated", FormatTimeUtc(now)}, {"collector_version", resp.collector_version()}};
    if (resp.has_store()) {
      j["store"] = {{"available", resp.store().available()}};
      if (store_down) {
        j["store"]["unavailable_since"] = FormatUnixNs(resp.store().unavailable_since_unix_ns());
        j["store"]["error"] = resp.store().error();
      }
    }
    json plans = json::array();
    for (const auto& s : resp.plans()) plans.push_back(StatusJson(s, now));
    j["plans"] = plans;
    env.out << j.dump(2) << "\n";
    return 0;
  }
  const Localizer l(env.lang, env.zone);
  if (store_down) {
    env.out << l.F("ctl.store_down", {{"since", FormatUnixNs(resp.store().unavailable_since_unix_ns())},
                                      {"error", OneLine(resp.store().error())}})
            << "\n\n";
  }
  if (resp.plans_size() == 0) {
    env.out << l.F("ctl.no_plans", {{"target", env.client->target()}}) << "\n";
    return 0;
  }
  TextTable t({l.T("ctl.col.plan"), l.T("ctl.col.state"), l.T("ctl.col.rpo"), l.T("ctl.col.restore"),
               l.T("ctl.col.next"), l.T("ctl.col.reasons")});
  int counts[5] = {0};
  for (const auto& s : resp.plans()) {
    t.AddRow({s.plan_id(), StateWord(s.state(), l), RpoCell(s, l), RestoreCell(s, now, l), NextDueCell(s, now, l),
              MainReason(s, l)});
    ++counts[s.state() < 5 ? s.state() : 0];
  }
  env.out << t.Render();
  bool incident_header = false;
  for (const auto& s : resp.plans()) {
    if (!s.has_incident()) continue;
    env.out << (incident_header ? "" : "\n");
    incident_header = true;
    PrintIncident(env, s, now);
  }
  env.out << "\n"
          << l.F("ctl.summary", {{"plans", l.Count("ctl.plans", resp.plans_size())},
                                 {"ready", absl::StrCat(counts[paraat::v1::PLAN_STATE_READY])},
                                 {"at_risk", absl::StrCat(counts[paraat::v1::PLAN_STATE_AT_RISK])},
                                 {"unknown", absl::StrCat(counts[paraat::v1::PLAN_STATE_UNKNOWN])},
                                 {"not_ready", absl::StrCat(counts[paraat::v1::PLAN_STATE_NOT_READY])},
                                 {"time", FormatTimeUtc(now)}})
          << "\n";
  return 0;
}

int CmdPlans(CtlEnv& env, int argc, char** argv) {
  static const char* kUsage = "paraatctl plans\n";
  ArgParser p;
  if (auto st = p.Parse(argc, argv); !st.ok()) return Usage(env, std::string(st.message()), kUsage);
  paraat::v1::GetStatusResponse resp;
  auto ctx = env.client->Context();
  grpc::Status gs = env.client->stub().GetStatus(ctx.get(), {}, &resp);
  if (!gs.ok()) return Fail(env, FromGrpc(gs, env.client->target()));
  TextTable t({"PLAN", "NAME", "OWNER", "TIER", "RPO", "RTO", "STATE", "CONTROLS"});
  for (const auto& s : resp.plans()) {
    t.AddRow({s.plan_id(), s.name(), s.owner(), s.tier() ? absl::StrCat(s.tier()) : "-",
              HumanDuration(FromNs(s.rpo_ns())), HumanDuration(FromNs(s.rto_ns())), StateName(s.state()),
              absl::StrJoin(s.controls(), " ")});
  }
  env.out << t.Render();
  return 0;
}

int CmdPlanShow(CtlEnv& env, int argc, char** argv) {
  static const char* kUsage = "paraatctl plan show ID [--json]\n";
  bool as_json = false;
  ArgParser p;
  p.Flag("json", &as_json);
  if (auto st = p.Parse(argc, argv); !st.ok()) return Usage(env, std::string(st.message()), kUsage);
  if (p.positional().size() != 1) return Usage(env, "give exactly one plan id", kUsage);
  paraat::v1::GetPlanRequest req;
  req.set_plan_id(p.positional()[0]);
  paraat::v1::GetPlanResponse resp;
  auto ctx = env.client->Context();
  grpc::Status gs = env.client->stub().GetPlan(ctx.get(), req, &resp);
  if (!gs.ok()) return Fail(env, FromGrpc(gs, env.client->target()));
  const auto& s = resp.status();
  if (as_json) {
    json j = StatusJson(s, env.now);
    AddDefinitionJson(resp.plan(), &j);
    json sources = json::array();
    for (const auto& src : resp.sources()) {
      json js = {{"role", src.role()}, {"source", src.source()}, {"seen", src.seen()}, {"fresh", src.fresh()}};
      if (src.seen()) {
        js["kind"] = src.kind();
        js["status"] = absl::AsciiStrToLower(paraat::v1::CheckStatus_Name(src.latest().status()).substr(13));
        js["message"] = src.latest().message();
        js["ran"] = Rfc3339(src.latest().started_unix_ns());
      }
      sources.push_back(js);
    }
    j["sources"] = sources;
    json exercises = json::array();
    for (const auto& e : resp.exercises()) exercises.push_back(ExerciseJson(e));
    j["exercises"] = exercises;
    env.out << j.dump(2) << "\n";
    return 0;
  }
  PrintPlan(env, resp);
  return 0;
}

int CmdEvidenceVerify(CtlEnv& env, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (absl::StartsWith(arg, "--export") || absl::StartsWith(arg, "--against") || absl::StartsWith(arg, "--trust") ||
        absl::StartsWith(arg, "--previous")) {
      return CmdEvidenceVerifyProofs(env, argc, argv);
    }
  }
  static const char* kUsage =
      "paraatctl evidence verify [--export FILE --trust KEY.pem [--previous OLD] | --against OLD]\n";
  ArgParser p;
  if (auto st = p.Parse(argc, argv); !st.ok()) return Usage(env, std::string(st.message()), kUsage);
  paraat::v1::VerifyEvidenceResponse resp;
  auto ctx = env.client->Context(absl::ZeroDuration());
  grpc::Status gs = env.client->stub().VerifyEvidence(ctx.get(), {}, &resp);
  if (!gs.ok()) return Fail(env, FromGrpc(gs, env.client->target()));
  const auto& v = resp.verification();
  if (v.ok()) {
    env.out << "evidence chain OK: " << v.records_checked() << " records verified (" << v.first_seq() << " to "
            << v.last_seq() << "), head "
            << ToHex(reinterpret_cast<const uint8_t*>(v.head_hash().data()), v.head_hash().size()) << "\n";
    return 0;
  }
  env.out << "evidence chain BROKEN at record " << v.first_bad_seq() << ": " << OneLine(v.problem()) << "\n"
          << v.records_checked() << " records before it verified.\n";
  return 1;
}

int CmdExerciseRecord(CtlEnv& env, int argc, char** argv) {
  static const char* kUsage =
      "paraatctl exercise record --plan ID --kind tabletop|failover|restore --date DATE\n"
      "                          --outcome passed|failed [--notes TEXT] [--duration D]\n"
      "                          [--attachment FILE] [--by NAME]\n"
      "paraatctl exercise record --plan ID --kind training --date DATE --participants N --topic TEXT\n"
      "                          [--outcome passed|failed] [--notes TEXT] [--attachment FILE] [--by NAME]\n";
  std::string plan, kind, date, outcome, notes, duration, attachment, by, participants, topic;
  ArgParser p;
  p.Option("plan", &plan);
  p.Option("kind", &kind);
  p.Option("date", &date);
  p.Option("outcome", &outcome);
  p.Option("notes", &notes);
  p.Option("duration", &duration);
  p.Option("attachment", &attachment);
  p.Option("by", &by);
  p.Option("participants", &participants);
  p.Option("topic", &topic);
  if (auto st = p.Parse(argc, argv); !st.ok()) return Usage(env, std::string(st.message()), kUsage);
  if (!p.positional().empty()) return Usage(env, "unexpected argument " + p.positional()[0], kUsage);
  if (plan.empty()) return Usage(env, "--plan is required", kUsage);
  if (kind != "tabletop" && kind != "failover" && kind != "restore" && kind != "training") {
    return Usage(env, "--kind must be tabletop, failover, restore or training", kUsage);
  }
  uint32_t people = 0;
  if (kind == "training") {
    if (topic.empty()) return Usage(env, "--topic is required for a training: what it was about", kUsage);
    if (!absl::SimpleAtoi(participants, &people) || people == 0) {
      return Usage(env, "--participants is required for a training: how many took part (a number above 0)", kUsage);
    }
    if (outcome.empty()) outcome = "passed";
  } else if (!participants.empty() || !topic.empty()) {
    return Usage(env, "--participants and --topic are for --kind training", kUsage);
  }
  if (outcome != "passed" && outcome != "failed") return Usage(env, "--outcome must be passed or failed", kUsage);
  if (date.empty()) return Usage(env, "--date is required (e.g. 2026-11-20 or 2026-11-20T14:00:00Z)", kUsage);
  auto when = ParseTimeArg(date, env.now);
  if (!when.ok()) return Usage(env, absl::StrCat("--date: ", when.status().message()), kUsage);
  paraat::v1::RecordExerciseRequest req;
  auto* e = req.mutable_exercise();
  e->set_plan_id(plan);
  e->set_kind(kind);
  e->set_performed_unix_ns(ToUnixNs(*when));
  e->set_passed(outcome == "passed");
  e->set_notes(notes);
  e->set_participants(people);
  e->set_topic(topic);
  e->set_recorded_by(by.empty() ? (std::getenv("USER") ? std::getenv("USER") : "") : by);
  if (!duration.empty()) {
    auto d = ParseDuration(duration);
    if (!d.ok()) return Usage(env, absl::StrCat("--duration: ", d.status().message()), kUsage);
    e->set_duration_seconds(absl::ToDoubleSeconds(*d));
  }
  if (!attachment.empty()) {
    // The collector's own limit, and no FIFO or device read (a FIFO would hang, /dev/zero grow).
    auto bytes = ReadRegularFile(attachment, kMaxAttachmentBytes);
    if (!bytes.ok())
      return Usage(env, absl::StrCat("--attachment: ", attachment, ": ", bytes.status().message()), kUsage);
    req.set_attachment(*std::move(bytes));
    e->set_attachment_name(attachment.substr(attachment.find_last_of('/') + 1));
  }
  paraat::v1::RecordExerciseResponse resp;
  auto ctx = env.client->Context();
  grpc::Status gs = env.client->stub().RecordExercise(ctx.get(), req, &resp);
  if (!gs.ok()) return Fail(env, FromGrpc(gs, env.client->target()));
  env.out << "recorded " << kind << " exercise for plan " << plan << " (" << outcome << ", " << FormatTimeUtc(*when)
          << ") as evidence record " << resp.seq() << "\n";
  return 0;
}

int CmdReload(CtlEnv& env, int argc, char** argv) {
  static const char* kUsage = "paraatctl reload\n";
  ArgParser p;
  if (auto st = p.Parse(argc, argv); !st.ok()) return Usage(env, std::string(st.message()), kUsage);
  paraat::v1::ReloadPlansResponse resp;
  auto ctx = env.client->Context();
  grpc::Status gs = env.client->stub().ReloadPlans(ctx.get(), {}, &resp);
  if (!gs.ok()) return Fail(env, FromGrpc(gs, env.client->target()));
  env.out << "plans reloaded: " << CountOf(resp.plans(), "plan") << "\n";
  return 0;
}

}  // namespace paraat
