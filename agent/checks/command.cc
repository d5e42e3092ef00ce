#include "agent/checks/command.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/checks/support/config_keys.h"
#include "agent/checks/support/tool.h"
#include "agent/perfdata.h"
#include "agent/secrets.h"
#include "common/text.h"

namespace paraat {

std::unique_ptr<Check> CommandCheck::Create(YamlMap& keys, const CheckEnv& check_env) {
  auto argv = keys.StringList("command", kRequired);
  std::map<std::string, std::string> env;
  if (auto v = keys.StringMap("env")) env = *v;
  if (!argv) return nullptr;
  if (argv->empty()) {
    keys.Error("command", "is empty: give the plugin and its arguments");
    return nullptr;
  }
  RequireProgram(keys, check_env, "command", (*argv)[0]);
  return std::make_unique<CommandCheck>(*argv, env);
}

void CommandCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  AddDetail(r, "command", Redact(absl::StrJoin(argv_, " "), {}));
  auto res = RunTool(ctx, ToolRun{argv_, env_, {}, "", false});
  if (!res.ok()) {
    Error(r, std::string(res.status().message()));
    return;
  }
  r->set_output_tail(TailText(res->out + (res->err.empty() ? "" : "\n" + res->err), 20, 4096));
  if (res->timed_out) {
    Error(r, absl::StrCat("the plugin ", res->Describe()));
    return;
  }
  std::string message, perf;
  SplitPluginOutput(res->out.empty() ? res->err : res->out, &message, &perf);
  std::vector<std::string> problems;
  for (const PerfValue& v : ParsePerfdata(perf, &problems)) {
    auto* pv = r->add_values();
    pv->set_name(std::string(Utf8Prefix(v.label, 128)));
    pv->set_value(v.value);
    pv->set_unit(v.unit);
    if (v.warn) pv->set_warn(*v.warn);
    if (v.crit) pv->set_crit(*v.crit);
    if (v.min) pv->set_min(*v.min);
    if (v.max) pv->set_max(*v.max);
  }
  if (!problems.empty()) AddDetail(r, "perfdata_problems", absl::StrJoin(problems, "; "));
  if (message.empty()) message = absl::StrCat("the plugin printed nothing (", res->Describe(), ")");
  message = Redact(message, {});
  auto* facts = r->mutable_facts();
  if (!res->exited) {
    Error(r, absl::StrCat("the plugin ", res->Describe(), ": ", message));
    return;
  }
  switch (res->exit_code) {
    case 0:
      facts->set_ready(true);
      Ok(r, message);
      break;
    case 1:
      facts->set_ready(true);
      Warn(r, message);
      break;
    case 2:
      facts->set_ready(false);
      Fail(r, message);
      break;
    default:  // 3 UNKNOWN, or not following the convention
      Error(r, absl::StrCat(res->exit_code == 3 ? "UNKNOWN: " : absl::StrCat("exit code ", res->exit_code, ": "),
                            message));
  }
}

}  // namespace paraat
