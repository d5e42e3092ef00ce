#include "agent/tool.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/secrets.h"
#include "common/text.h"

namespace paraat {

absl::StatusOr<ProcessResult> RunTool(const CheckContext& ctx, const ToolRun& run) {
  ProcessOptions o;
  o.argv = run.argv;
  o.env = run.env;
  o.cwd = run.cwd;
  const absl::Time now = ctx.clock->Now();
  o.timeout = ctx.deadline == absl::InfiniteFuture() ? absl::InfiniteDuration() : ctx.deadline - now;
  if (o.timeout <= absl::ZeroDuration()) o.timeout = absl::Milliseconds(1);
  o.cancelled = ctx.cancelled;
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

}  // namespace paraat
