#include "agent/checks/support/tool.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/secrets.h"
#include "common/text.h"
#include "common/units.h"

namespace paraat {

absl::StatusOr<ProcessResult> RunTool(const CheckContext& ctx, const ToolRun& run) {
  ProcessOptions o;
  o.argv = run.argv;
  o.env = run.env;
  o.cwd = run.cwd;
  o.timeout = std::max(ctx.TimeLeft(), absl::Milliseconds(1));
  o.cancelled = ctx.cancelled;
  o.clock = ctx.clock;
  o.stdin_data = run.stdin_data;
  if (run.forward_progress) {
    Progress* p = ctx.progress;
    const std::vector<std::string> secrets = run.secrets;
    o.on_stderr_line = [p, secrets](const std::string& line) { p->Note(Redact(line, secrets)); };
  }
  auto r = RunProcess(o);
  if (!r.ok()) {
    if (r.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrCat(run.argv[0], " not found: is it installed and on PATH?"));
    }
    return r.status();
  }
  r->out = Redact(std::move(r->out), run.secrets);
  r->err = Redact(std::move(r->err), run.secrets);
  return r;
}

std::string ToolError(const ProcessResult& r) {
  if (r.timed_out) return r.Describe();
  for (const std::string* text : {&r.err, &r.out}) {
    std::vector<std::string> lines = absl::StrSplit(*text, '\n', absl::SkipWhitespace());
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
      std::string line(absl::StripAsciiWhitespace(*it));
      if (line.empty() || line.rfind("NOTE:", 0) == 0 || line.rfind("HINT:", 0) == 0) continue;
      if (line.size() > 300) line = TruncateUtf8(line, 300);
      return line;
    }
  }
  return r.Describe();
}

std::string OutputTail(const ProcessResult& r, size_t max_lines, size_t max_bytes) {
  std::string combined = r.out;
  if (!r.err.empty()) {
    if (!combined.empty() && combined.back() != '\n') combined += '\n';
    combined += r.err;
  }
  return TailText(combined, max_lines, max_bytes);
}

std::function<bool(const std::string& output)> ContainsAny(std::vector<std::string> phrases) {
  return [phrases = std::move(phrases)](const std::string& output) {
    for (const std::string& p : phrases) {
      if (output.find(p) != std::string::npos) return true;
    }
    return false;
  };
}

ToolSession::ToolSession(const CheckContext& ctx, paraat::v1::Result* r, ToolWording wording)
    : ctx_(ctx), r_(r), wording_(std::move(wording)) {}

bool ToolSession::TakeTurn(const std::string& resource) {
  turn_.emplace(resource, ctx_);
  if (turn_->held()) return true;
  Error(r_, "timed out waiting for another check of this agent on the same repository");
  return false;
}

void ToolSession::SetEnvironment(std::map<std::string, std::string> env, std::vector<std::string> secrets) {
  base_.env = std::move(env);
  base_.secrets = std::move(secrets);
}

std::string ToolSession::Explain(const std::string& output) const {
  return wording_.explain ? wording_.explain(output) : std::string();
}

std::optional<ProcessResult> ToolSession::Run(const std::vector<std::string>& argv, bool progress,
                                              const std::string& stdin_data) {
  auto res = RunTool(ctx_, ToolRun{argv, base_.env, base_.secrets, base_.cwd, progress, stdin_data});
  if (!res.ok()) {
    Error(r_, std::string(res.status().message()));
    return std::nullopt;
  }
  return *std::move(res);
}

bool ToolSession::Version(const std::vector<std::string>& argv) {
  auto res = Run(argv);
  if (!res) return false;
  AddDetail(r_, "tool_version", FirstLine(res->out.empty() ? res->err : res->out));
  return true;
}

std::optional<ProcessResult> ToolSession::Read(const std::vector<std::string>& argv, const std::string& what,
                                               const std::string& stdin_data) {
  auto res = Run(argv, /*progress=*/false, stdin_data);
  if (!res || res->success()) return res;
  const std::string output = res->out + res->err;
  r_->set_output_tail(OutputTail(*res));
  if (res->timed_out || res->cancelled) {
    // A tool that waits for a server that does not answer (bconsole retries for 15 s) ends here.
    const std::string why = Explain(output);
    Error(r_, absl::StrCat(what, " ", res->Describe(), why.empty() ? "" : ": " + why));
  } else if (wording_.locked && wording_.locked(output)) {
    Error(r_, absl::StrCat(what, ": the repository is locked by another process (a running backup?)"));
  } else {
    const std::string why = Explain(output);
    Error(r_, absl::StrCat(what, " failed: ", why.empty() ? ToolError(*res) : why));
  }
  return std::nullopt;
}

bool ToolSession::Verify(const std::vector<std::string>& argv, const std::string& what, const std::string& where,
                         const std::string& summary, ProcessResult* out) {
  auto res = Run(argv, /*progress=*/true);
  if (!res) return false;
  if (out) *out = *res;
  const std::string output = res->out + res->err;
  r_->set_output_tail(OutputTail(*res));
  if (res->timed_out || res->cancelled) {
    Error(r_, absl::StrCat(what, " ", res->Describe()));
    return false;
  }
  if (wording_.locked && wording_.locked(output)) {
    // A running backup holds the lock: not damage, and not a reason to break the lock.
    Warn(r_, absl::StrCat(summary, "; integrity check skipped: the repository is locked by a running backup"));
    return false;
  }
  if (res->success()) return true;
  const std::string why = Explain(output);
  if (why.empty() && wording_.damaged && wording_.damaged(output)) {
    r_->mutable_facts()->set_integrity(paraat::v1::INTEGRITY_CORRUPT);
    Fail(r_, absl::StrCat(what, " found errors in ", where, ": ", ToolError(*res)));
    return false;
  }
  Error(r_, absl::StrCat(what, " failed: ", why.empty() ? ToolError(*res) : why));
  return false;
}

bool RunDrillStep(const CheckContext& ctx, const ToolRun& run, const std::string& what, DrillStep step,
                  paraat::v1::Result* r, std::string* log, ProcessResult* out) {
  auto res = RunTool(ctx, run);
  if (!res.ok()) {
    Error(r, absl::StrCat(what, ": ", res.status().message()));
    return false;
  }
  absl::StrAppend(log, "$ ", Redact(absl::StrJoin(run.argv, " "), run.secrets), "\n", OutputTail(*res, 12, 2048), "\n");
  if (out) *out = *res;
  if (res->timed_out) {
    Fail(r, absl::StrCat(what, " did not finish within the timeout (", HumanDuration(ctx.timeout), ")"));
    return false;
  }
  if (res->cancelled) {
    Error(r, absl::StrCat(what, " was interrupted (the agent is stopping)"));
    return false;
  }
  if (!res->success()) {
    std::string msg = absl::StrCat(what, " failed (", res->Describe(), "): ", ToolError(*res));
    if (step == DrillStep::kSetup) {
      Error(r, msg);
    } else {
      Fail(r, msg);
    }
    return false;
  }
  return true;
}

DrillServer::DrillServer(const CheckContext& ctx, ToolRun run)
    : ctx_(ctx), run_(std::move(run)), result_(absl::UnknownError("not ended")) {
  thread_ = std::thread([this] {
    CheckContext own = ctx_;
    const std::function<bool()> cancelled = ctx_.cancelled;
    own.cancelled = [this, cancelled] { return stop_.load() || cancelled(); };
    auto res = RunTool(own, run_);
    std::lock_guard<std::mutex> lock(mu_);
    result_ = std::move(res);
    ended_ = true;
    cv_.notify_all();
  });
}

DrillServer::~DrillServer() { Stop(); }

bool DrillServer::Ended() {
  std::lock_guard<std::mutex> lock(mu_);
  return ended_;
}

bool DrillServer::WaitReady(const std::function<bool()>& ready, const std::string& what, paraat::v1::Result* r,
                            std::string* log) {
  while (!Ended()) {
    if (ready()) {
      absl::StrAppend(log, "$ ", Redact(absl::StrJoin(run_.argv, " "), run_.secrets), " &\n");
      started_ = true;
      return true;
    }
    if (ctx_.cancelled()) break;
    std::unique_lock<std::mutex> lock(mu_);
    ctx_.clock->WaitFor(cv_, lock, std::min(absl::Milliseconds(100), std::max(ctx_.TimeLeft(), absl::ZeroDuration())),
                        [this] { return ended_; });
  }
  Stop(log);
  std::lock_guard<std::mutex> lock(mu_);
  if (!result_.ok()) {
    Error(r, absl::StrCat(what, ": ", result_.status().message()));
  } else if (result_->timed_out || ctx_.TimeLeft() <= absl::ZeroDuration()) {
    Fail(r, absl::StrCat(what, " was not ready within the timeout (", HumanDuration(ctx_.timeout), ")"));
  } else if (ctx_.cancelled()) {
    Error(r, absl::StrCat(what, " was interrupted (the agent is stopping)"));
  } else {
    Fail(r, absl::StrCat(what, " did not start (", result_->Describe(), "): ", ToolError(*result_)));
  }
  return false;
}

void DrillServer::Stop(std::string* log) {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (log == nullptr || logged_) return;
  logged_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  if (!result_.ok()) return;
  // A server that started was logged then; its output is its log until it stopped.
  absl::StrAppend(
      log, started_ ? "[server stopped, its last lines]" : "$ " + Redact(absl::StrJoin(run_.argv, " "), run_.secrets),
      "\n", OutputTail(*result_, 12, 2048), "\n");
}

}  // namespace paraat
