#include "ctl/commands.h"

#include <algorithm>
#include <fstream>
#include <iostream>

#include "absl/strings/ascii.h"
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
  return j;
}

// `plan show` for people, in env.lang. Every string from the collector is shown with OneLine:
// agents' messages (and plan text) can neither act on the terminal nor forge a line.
void PrintPlan(CtlEnv& env, const paraat::v1::GetPlanResponse& resp) {
  const Localizer l(env.lang);
  const auto& plan = resp.plan();
  const auto& s = resp.status();
  // "  owner:       ": the labels aligned after the longest one.
  size_t width = 0;
  for (const char* k : {"owner", "tier", "description", "objectives", "tests", "controls", "file"}) {
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
  if (plan.restore_every_ns()) cadence.push_back(l.F("ctl.show.every.restore", {{"d", dur(plan.restore_every_ns())}}));
  if (plan.failover_every_ns()) {
    cadence.push_back(l.F("ctl.show.every.failover", {{"d", dur(plan.failover_every_ns())}}));
  }
  if (plan.exercise_every_ns()) {
    cadence.push_back(l.F("ctl.show.every.exercise", {{"d", dur(plan.exercise_every_ns())}}));
  }
  if (!cadence.empty()) line("tests", absl::StrJoin(cadence, ", "));
  if (plan.controls_size()) line("controls", OneLine(absl::StrJoin(plan.controls(), ", ")));
  line("file", OneLine(plan.file()));
  env.out << "\n"
          << l.F("ctl.show.state", {{"state", StateWord(s.state(), l)}, {"since", Rfc3339(s.state_since_unix_ns())}})
          << "\n";
  env.out << "  " << l.F("ctl.show.rpo", {{"cell", RpoCell(s, l)}}) << "\n";
  env.out << "  " << l.F("ctl.show.restore", {{"cell", RestoreCell(s, env.now, l)}}) << "\n";
  for (const auto& t : s.tests()) {
    const std::string* word = l.Find(absl::StrCat("ctl.test.", t.test()));
    env.out << "  "
            << l.F("ctl.show.test", {{"test", word ? *word : OneLine(t.test())},
                                     {"last", t.last_unix_ns() ? Rfc3339(t.last_unix_ns()) : l.T("ctl.show.never")},
                                     {"due", t.last_unix_ns() ? Rfc3339(t.due_unix_ns()) : l.T("ctl.show.now")}})
            << "\n";
  }
  for (const auto& r : s.reasons()) {
    env.out << "  - [" << StateWord(r.implies(), l) << "] " << OneLine(ReasonText(r, l)) << "\n";
  }
  if (s.reasons_size() == 0) env.out << "  - " << l.T("reasons.none") << "\n";
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
    for (const auto& s : resp.plans()) plans.push_back(StatusJson(s));
    j["plans"] = plans;
    env.out << j.dump(2) << "\n";
    return 0;
  }
  const Localizer l(env.lang);
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
  PrintPlan(env, resp);
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
      "                          [--attachment FILE] [--by NAME]\n";
  std::string plan, kind, date, outcome, notes, duration, attachment, by;
  ArgParser p;
  p.Option("plan", &plan);
  p.Option("kind", &kind);
  p.Option("date", &date);
  p.Option("outcome", &outcome);
  p.Option("notes", &notes);
  p.Option("duration", &duration);
  p.Option("attachment", &attachment);
  p.Option("by", &by);
  if (auto st = p.Parse(argc, argv); !st.ok()) return Usage(env, std::string(st.message()), kUsage);
  if (!p.positional().empty()) return Usage(env, "unexpected argument " + p.positional()[0], kUsage);
  if (plan.empty()) return Usage(env, "--plan is required", kUsage);
  if (kind != "tabletop" && kind != "failover" && kind != "restore") {
    return Usage(env, "--kind must be tabletop, failover or restore", kUsage);
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
