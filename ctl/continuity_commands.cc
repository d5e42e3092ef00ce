// paraatctl plan review, incident open|close|report: what people do with a plan beyond
// exercises, recorded as evidence (collector/serving/continuity_recorder.h).
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "common/fs.h"
#include "common/incident_format.h"
#include "common/limits.h"
#include "common/text.h"
#include "common/time_util.h"
#include "ctl/commands.h"

namespace paraat {
namespace {

int Usage(CtlEnv& env, const std::string& problem, const char* usage) {
  env.err << "paraatctl: " << problem << "\n\nUsage: " << usage;
  return 2;
}

std::string CurrentUser() { return std::getenv("USER") ? std::getenv("USER") : ""; }

// A time given on the command line; 0 when not given (the collector takes its own now).
bool TimeOption(CtlEnv& env, const std::string& name, const std::string& text, int64_t* out, std::string* problem) {
  *out = 0;
  if (text.empty()) return true;
  auto t = ParseTimeArg(text, env.now);
  if (!t.ok()) {
    *problem = absl::StrCat("--", name, ": ", t.status().message());
    return false;
  }
  *out = ToUnixNs(*t);
  return true;
}

// After an incident event: the plan's clock as the collector now sees it.
void PrintIncidentClock(CtlEnv& env, const std::string& plan) {
  paraat::v1::GetPlanRequest req;
  req.set_plan_id(plan);
  paraat::v1::GetPlanResponse resp;
  auto ctx = env.client->Context();
  if (!env.client->stub().GetPlan(ctx.get(), req, &resp).ok()) return;
  PrintIncident(env, resp.status(), env.now);
}

int SendIncident(CtlEnv& env, paraat::v1::IncidentRecord incident, const std::string& done) {
  paraat::v1::RecordIncidentRequest req;
  *req.mutable_incident() = std::move(incident);
  paraat::v1::RecordContinuityResponse resp;
  auto ctx = env.client->Context();
  grpc::Status gs = env.client->stub().RecordIncident(ctx.get(), req, &resp);
  if (!gs.ok()) return Fail(env, FromGrpc(gs, env.client->target()));
  env.out << done << " as evidence record " << resp.seq() << "\n";
  PrintIncidentClock(env, req.incident().plan_id());
  return 0;
}

int IncidentOpen(CtlEnv& env, int argc, char** argv) {
  static const char* kUsage =
      "paraatctl incident open --plan ID --summary TEXT [--started T] [--significant] [--by NAME]\n";
  std::string plan, summary, started, by;
  bool significant = false;
  ArgParser p;
  p.Option("plan", &plan);
  p.Option("summary", &summary);
  p.Option("started", &started);
  p.Option("by", &by);
  p.Flag("significant", &significant);
  if (auto st = p.Parse(argc, argv); !st.ok()) return Usage(env, std::string(st.message()), kUsage);
  if (!p.positional().empty()) return Usage(env, "unexpected argument " + p.positional()[0], kUsage);
  if (plan.empty()) return Usage(env, "--plan is required", kUsage);
  if (summary.empty()) return Usage(env, "--summary is required: what happened, in a line", kUsage);
  paraat::v1::IncidentRecord i;
  std::string problem;
  int64_t started_ns = 0;
  if (!TimeOption(env, "started", started, &started_ns, &problem)) return Usage(env, problem, kUsage);
  i.set_plan_id(plan);
  i.set_event("opened");
  i.set_summary(summary);
  i.set_significant(significant);
  i.set_started_unix_ns(started_ns);
  i.set_recorded_by(by.empty() ? CurrentUser() : by);
  return SendIncident(env, std::move(i),
                      absl::StrCat("opened ", significant ? "significant " : "", "incident on plan ", plan));
}

int IncidentClose(CtlEnv& env, int argc, char** argv) {
  static const char* kUsage = "paraatctl incident close --plan ID [--recovered T] [--notes TEXT] [--by NAME]\n";
  std::string plan, recovered, notes, by;
  ArgParser p;
  p.Option("plan", &plan);
  p.Option("recovered", &recovered);
  p.Option("notes", &notes);
  p.Option("by", &by);
  if (auto st = p.Parse(argc, argv); !st.ok()) return Usage(env, std::string(st.message()), kUsage);
  if (!p.positional().empty()) return Usage(env, "unexpected argument " + p.positional()[0], kUsage);
  if (plan.empty()) return Usage(env, "--plan is required", kUsage);
  paraat::v1::IncidentRecord i;
  std::string problem;
  int64_t recovered_ns = 0;
  if (!TimeOption(env, "recovered", recovered, &recovered_ns, &problem)) return Usage(env, problem, kUsage);
  i.set_plan_id(plan);
  i.set_event("closed");
  i.set_recovered_unix_ns(recovered_ns);
  i.set_notes(notes);
  i.set_recorded_by(by.empty() ? CurrentUser() : by);
  return SendIncident(env, std::move(i), absl::StrCat("closed the incident on plan ", plan));
}

int IncidentReport(CtlEnv& env, int argc, char** argv) {
  static const char* kUsage =
      "paraatctl incident report --plan ID --kind early-warning|notification|final [--at T] [--notes TEXT]\n"
      "                          [--by NAME]\n";
  std::string plan, kind, at, notes, by;
  ArgParser p;
  p.Option("plan", &plan);
  p.Option("kind", &kind);
  p.Option("at", &at);
  p.Option("notes", &notes);
  p.Option("by", &by);
  if (auto st = p.Parse(argc, argv); !st.ok()) return Usage(env, std::string(st.message()), kUsage);
  if (!p.positional().empty()) return Usage(env, "unexpected argument " + p.positional()[0], kUsage);
  if (plan.empty()) return Usage(env, "--plan is required", kUsage);
  if (kind != "early-warning" && kind != "notification" && kind != "final") {
    return Usage(env, "--kind must be early-warning, notification or final", kUsage);
  }
  paraat::v1::IncidentRecord i;
  std::string problem;
  int64_t at_ns = 0;
  if (!TimeOption(env, "at", at, &at_ns, &problem)) return Usage(env, problem, kUsage);
  i.set_plan_id(plan);
  i.set_event("report");
  i.set_report_kind(kind);
  i.set_reported_unix_ns(at_ns);
  i.set_notes(notes);
  i.set_recorded_by(by.empty() ? CurrentUser() : by);
  return SendIncident(env, std::move(i), absl::StrCat("recorded the ", ReportTitle(kind), " for plan ", plan));
}

}  // namespace

void PrintIncident(CtlEnv& env, const paraat::v1::PlanStatus& s, absl::Time now) {
  if (!s.has_incident()) return;
  env.out << "Incident on " << OneLine(s.plan_id()) << (s.incident().significant() ? " (significant)" : "") << ": "
          << IncidentClockLine(s, now) << "\n";
  if (!s.incident().summary().empty()) env.out << "  summary: " << OneLine(s.incident().summary()) << "\n";
  for (const std::string& line : IncidentDeadlineLines(s, now)) env.out << "  " << line << "\n";
  if (const std::string next = NextReportDue(s, now); !next.empty()) env.out << "  next due: " << next << "\n";
}

int CmdPlanReview(CtlEnv& env, int argc, char** argv) {
  static const char* kUsage = "paraatctl plan review --plan ID --by NAME [--notes TEXT] [--attachment FILE]\n";
  std::string plan, by, notes, attachment;
  ArgParser p;
  p.Option("plan", &plan);
  p.Option("by", &by);
  p.Option("notes", &notes);
  p.Option("attachment", &attachment);
  if (auto st = p.Parse(argc, argv); !st.ok()) return Usage(env, std::string(st.message()), kUsage);
  if (!p.positional().empty()) return Usage(env, "unexpected argument " + p.positional()[0], kUsage);
  if (plan.empty()) return Usage(env, "--plan is required", kUsage);
  if (by.empty()) return Usage(env, "--by is required: who reviewed the plan", kUsage);
  paraat::v1::RecordReviewRequest req;
  auto* r = req.mutable_review();
  r->set_plan_id(plan);
  r->set_reviewed_by(by);
  r->set_notes(notes);
  if (!attachment.empty()) {
    auto bytes = ReadRegularFile(attachment, kMaxAttachmentBytes);
    if (!bytes.ok())
      return Usage(env, absl::StrCat("--attachment: ", attachment, ": ", bytes.status().message()), kUsage);
    req.set_attachment(*std::move(bytes));
    r->set_attachment_name(attachment.substr(attachment.find_last_of('/') + 1));
  }
  paraat::v1::RecordContinuityResponse resp;
  auto ctx = env.client->Context();
  grpc::Status gs = env.client->stub().RecordReview(ctx.get(), req, &resp);
  if (!gs.ok()) return Fail(env, FromGrpc(gs, env.client->target()));
  env.out << "recorded the review of plan " << plan << " by " << OneLine(by) << " as evidence record " << resp.seq()
          << "\n";
  return 0;
}

int CmdIncident(CtlEnv& env, int argc, char** argv) {
  const std::string sub = argv[0];
  if (sub == "open") return IncidentOpen(env, argc, argv);
  if (sub == "close") return IncidentClose(env, argc, argv);
  if (sub == "report") return IncidentReport(env, argc, argv);
  return Usage(env, absl::StrCat("unknown command \"incident ", sub, "\""),
               "paraatctl incident open|close|report --plan ID ...\n");
}

}  // namespace paraat
