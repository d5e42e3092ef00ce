#include "ctl/commands.h"

#include <fstream>
#include <iostream>

#include "absl/strings/ascii.h"
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
void AddContinuityJson(const paraat::v1::PlanStatus& s, json* j) {
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
  (*j)["incident"] = ji;
}

// "restore test", "plan review", "training".
std::string TestLabel(const std::string& test) {
  if (test == "review") return "plan review";
  if (test == "training") return "training";
  return test + " test";
}

json StatusJson(const paraat::v1::PlanStatus& s) {
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
  AddContinuityJson(s, &j);
  return j;
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
    for (const auto& s : resp.plans()) plans.push_back(StatusJson(s));
    j["plans"] = plans;
    env.out << j.dump(2) << "\n";
    return 0;
  }
  if (store_down) {
    env.out << "evidence store unavailable since " << FormatUnixNs(resp.store().unavailable_since_unix_ns()) << " ("
            << OneLine(resp.store().error())
            << "): nothing is stored and the states below are the last before the outage, "
            << "not re-evaluated until the store is back\n\n";
  }
  if (resp.plans_size() == 0) {
    env.out << "No plans loaded on the collector at " << env.client->target() << ".\n";
    return 0;
  }
  TextTable t({"PLAN", "STATE", "RPO (now / target)", "RESTORE TEST (took / RTO)", "NEXT TEST", "REASONS"});
  int counts[5] = {0};
  for (const auto& s : resp.plans()) {
    t.AddRow({s.plan_id(), StateName(s.state()), RpoCell(s), RestoreCell(s, now), NextDueCell(s, now), MainReason(s)});
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
          << CountOf(resp.plans_size(), "plan") << ": " << counts[paraat::v1::PLAN_STATE_READY] << " ready, "
          << counts[paraat::v1::PLAN_STATE_AT_RISK] << " at risk, " << counts[paraat::v1::PLAN_STATE_UNKNOWN]
          << " unknown, " << counts[paraat::v1::PLAN_STATE_NOT_READY] << " not ready (" << FormatTimeUtc(now) << ")\n";
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
  const auto& plan = resp.plan();
  const auto& s = resp.status();
  if (as_json) {
    json j = StatusJson(s);
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
    env.out << j.dump(2) << "\n";
    return 0;
  }
  // Every string from the collector is shown with OneLine: agents' messages (and plan text) can
  // neither act on the terminal nor forge a line.
  env.out << OneLine(plan.id()) << ": " << OneLine(plan.name()) << "\n";
  if (!plan.owner().empty()) env.out << "  owner:       " << OneLine(plan.owner()) << "\n";
  if (plan.tier()) env.out << "  tier:        " << plan.tier() << "\n";
  if (!plan.description().empty()) env.out << "  description: " << OneLine(plan.description()) << "\n";
  env.out << "  objectives:  RPO " << HumanDuration(FromNs(plan.rpo_ns())) << ", RTO "
          << HumanDuration(FromNs(plan.rto_ns()))
          << (plan.mtpd_ns() ? absl::StrCat(", MTPD ", HumanDuration(FromNs(plan.mtpd_ns()))) : "") << "\n";
  std::vector<std::string> cadence;
  if (plan.restore_every_ns()) cadence.push_back("restore every " + HumanDuration(FromNs(plan.restore_every_ns())));
  if (plan.failover_every_ns()) cadence.push_back("failover every " + HumanDuration(FromNs(plan.failover_every_ns())));
  if (plan.exercise_every_ns()) cadence.push_back("exercise every " + HumanDuration(FromNs(plan.exercise_every_ns())));
  if (plan.review_every_ns()) cadence.push_back("review every " + HumanDuration(FromNs(plan.review_every_ns())));
  if (plan.training_every_ns()) cadence.push_back("training every " + HumanDuration(FromNs(plan.training_every_ns())));
  if (!cadence.empty()) env.out << "  tests:       " << absl::StrJoin(cadence, ", ") << "\n";
  for (const auto& c : plan.contacts()) {
    std::vector<std::string> reach;
    if (!c.phone().empty()) reach.push_back(c.phone());
    if (!c.email().empty()) reach.push_back(c.email());
    env.out << "  contact:     " << OneLine(c.role()) << ": " << OneLine(c.name()) << ", "
            << OneLine(absl::StrJoin(reach, ", ")) << "\n";
  }
  if (plan.controls_size()) env.out << "  controls:    " << OneLine(absl::StrJoin(plan.controls(), ", ")) << "\n";
  env.out << "  file:        " << OneLine(plan.file()) << "\n\n";
  env.out << "State: " << StateName(s.state()) << " since " << Rfc3339(s.state_since_unix_ns()) << "\n";
  env.out << "  achieved RPO / target: " << RpoCell(s) << "\n";
  env.out << "  last restore test / RTO: " << RestoreCell(s, env.now) << "\n";
  for (const auto& t : s.tests()) {
    env.out << "  " << OneLine(TestLabel(t.test())) << ": last "
            << (t.last_unix_ns() ? Rfc3339(t.last_unix_ns()) : "never") << ", due "
            << (t.last_unix_ns() ? Rfc3339(t.due_unix_ns()) : "now") << "\n";
  }
  if (s.has_review()) {
    env.out << "  last review: " << Rfc3339(s.review().reviewed_unix_ns()) << " by "
            << OneLine(s.review().reviewed_by())
            << (s.review().plan_changed() ? "; the plan file has CHANGED since that review"
                                          : "; plan file unchanged since")
            << "\n";
  }
  for (const auto& r : s.reasons()) env.out << "  - [" << StateName(r.implies()) << "] " << OneLine(r.text()) << "\n";
  if (s.reasons_size() == 0) env.out << "  - all objectives met\n";
  if (s.has_incident()) {
    env.out << "\n";
    PrintIncident(env, s, env.now);
  }
  env.out << "\nSources:\n";
  TextTable t({"ROLE", "SOURCE", "KIND", "STATUS", "RAN", "MESSAGE"});
  for (const auto& src : resp.sources()) {
    if (!src.seen()) {
      t.AddRow({src.role(), src.source(), "-", "never seen", "-", "no result received yet"});
      continue;
    }
    std::string status = absl::AsciiStrToLower(paraat::v1::CheckStatus_Name(src.latest().status()).substr(13));
    if (!src.fresh()) status += " (stale)";
    t.AddRow({src.role(), src.source(), src.kind(), status,
              HumanDuration(env.now - FromUnixNs(src.latest().started_unix_ns())) + " ago", src.latest().message()});
  }
  env.out << t.Render();
  if (resp.exercises_size() > 0) {
    env.out << "\nLatest exercises:\n";
    for (const auto& e : resp.exercises()) {
      env.out << "  " << OneLine(e.kind()) << " " << Rfc3339(e.performed_unix_ns()) << " "
              << (e.passed() ? "passed" : "FAILED") << (e.notes().empty() ? "" : ": " + OneLine(e.notes())) << "\n";
    }
  }
  return 0;
}

int CmdEvidenceVerify(CtlEnv& env, int argc, char** argv) {
  static const char* kUsage = "paraatctl evidence verify\n";
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
