#include "agent/config.h"

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/checks/support/config_keys.h"
#include "agent/registry.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/net.h"
#include "common/yaml_reader.h"

namespace paraat {

const CheckSpec* AgentConfig::FindCheck(const std::string& id) const {
  for (const CheckSpec& c : checks) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

namespace {

std::string HostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  std::string h = buf;
  return h.substr(0, h.find('.'));
}

// The config file's directory, absolute, so relative paths in it mean the same wherever the
// agent was started from.
std::string DirOf(const std::string& path) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec) abs = path;
  return abs.lexically_normal().parent_path().string();
}

void ParseAgentSection(YamlMap& doc, AgentConfig* c) {
  auto agent = doc.Map("agent");
  if (!agent) return;
  if (auto id = agent->String("id")) {
    if (IsValidId(*id)) {
      c->agent_id = *id;
    } else {
      agent->Error("id", absl::StrCat("\"", *id, "\" is not a valid id (", IdRule(), ")"));
    }
  }
  if (auto labels = agent->StringMap("labels")) c->labels = *labels;
  if (auto n = agent->Int("concurrency", 1, 64)) c->concurrency = static_cast<int>(*n);
  agent->Finish();
}

void ParseCollectorSection(YamlMap& doc, const std::string& base, const ConfigLoadOptions& options, AgentConfig* c) {
  auto col = doc.Map("collector", kRequired);
  if (!col) return;
  if (auto a = col->String("address", kRequired)) c->collector_address = *a;
  if (auto tls = col->Map("tls")) {
    for (auto [key, file] : {std::pair{"ca", &c->tls_ca}, {"cert", &c->tls_cert}, {"key", &c->tls_key}}) {
      auto v = tls->String(key, kRequired);
      if (!v) continue;
      *file = ResolveConfigPath(base, *v);
      if (std::string problem = options.require_files ? FileProblem(*file) : ""; !problem.empty()) {
        tls->Error(key, problem);
      }
    }
    tls->Finish();
  }
  if (auto v = col->Bool("insecure")) c->insecure = *v;
  col->Finish();
  if (!c->collector_address.empty() && c->tls_cert.empty() && !c->insecure && !IsLoopbackTarget(c->collector_address)) {
    col->Error("address", absl::StrCat("plaintext to ", c->collector_address,
                                       " is refused: configure collector.tls, or set collector.insecure: true"));
  }
}

void ParseSpoolSection(YamlMap& doc, const std::string& base, AgentConfig* c) {
  if (auto spool = doc.Map("spool", kRequired)) {
    if (auto d = spool->String("dir", kRequired)) c->spool_dir = ResolveConfigPath(base, *d);
    if (auto m = spool->Size("max_size")) {
      if (*m < (64 << 10)) {
        spool->Error("max_size", "must be at least 64KiB");
      } else {
        c->spool_max_size = *m;
      }
    }
    spool->Finish();
  }
  if (auto v = doc.String("state_dir")) c->state_dir = ResolveConfigPath(base, *v);
  if (c->state_dir.empty() && !c->spool_dir.empty()) c->state_dir = c->spool_dir + "/check-state";
}

// One entry of `checks`: its common keys, then its kind's. Nothing when it is wrong.
std::optional<CheckSpec> ParseCheck(YamlMap& m, const std::string& base, const ConfigLoadOptions& options,
                                    std::set<std::string>* ids, SecretSet* secrets) {
  CheckSpec spec;
  spec.line = m.line();
  auto id = m.String("id", kRequired);
  auto kind = m.String("kind", kRequired);
  auto interval = m.PositiveDuration("interval", kRequired);
  auto timeout = m.PositiveDuration("timeout");
  if (auto labels = m.StringMap("labels")) spec.labels = *labels;
  if (id) {
    if (!IsValidId(*id)) {
      m.Error("id", absl::StrCat("\"", *id, "\" is not a valid id (", IdRule(), ")"));
    } else if (!ids->insert(*id).second) {
      m.Error("id", absl::StrCat("\"", *id, "\" is used by another check"));
    } else {
      spec.id = *id;
    }
  }
  if (interval) spec.interval = *interval;
  spec.timeout = timeout ? *timeout : spec.interval;
  if (interval && timeout && *timeout > *interval * 10) {
    m.Error("timeout", "may be at most ten times the interval");
  }
  const CheckKind* k = kind ? FindCheckKind(*kind) : nullptr;
  if (kind && k == nullptr) {
    m.Error("kind", absl::StrCat("unknown kind \"", *kind, "\" (known: ", absl::StrJoin(CheckKindNames(), ", "), ")"));
    return std::nullopt;  // its other keys cannot be judged
  }
  if (k != nullptr) {
    spec.kind = *kind;
    CheckEnv env{base, spec.id, spec.interval, spec.timeout, options.require_files, secrets};
    spec.check = k->factory(m, env);
  }
  m.Finish();
  if (!spec.check) return std::nullopt;
  return spec;
}

void ParseChecks(YamlMap& doc, const std::string& base, const ConfigLoadOptions& options, ConfigErrors* errors,
                 AgentConfig* c) {
  YAML::Node checks = doc.Raw("checks");
  if (!checks.IsDefined() || checks.IsNull()) {
    doc.Error("checks", "is required: list at least one check");
    return;
  }
  if (!checks.IsSequence()) {
    doc.Error("checks", "expected a list of checks");
    return;
  }
  std::set<std::string> ids;
  auto secrets = std::make_shared<SecretSet>();
  int index = 0;
  for (const YAML::Node& node : checks) {
    YamlMap m(node, absl::StrCat("checks[", index++, "]"), errors, LineOf(node));
    if (!m.valid()) continue;
    if (auto spec = ParseCheck(m, base, options, &ids, secrets.get())) c->checks.push_back(*std::move(spec));
  }
  for (CheckSpec& spec : c->checks) spec.agent_secrets = secrets;
  if (index == 0) doc.Error("checks", "is empty: list at least one check");
  // The collector refuses a hello listing more: say so now, not as "unreachable" at every connect.
  if (static_cast<size_t>(index) > kMaxChecksPerAgent) {
    doc.Error("checks", absl::StrCat(index, " checks; the collector accepts at most ", kMaxChecksPerAgent,
                                     " from one agent (give the rest to a second agent)"));
  }
}

}  // namespace

absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path, const ConfigLoadOptions& options) {
  ConfigErrors errors(path);
  std::string text;
  if (!ReadConfigFile(path, &text, &errors)) return errors.ToStatus();
  return ParseAgentConfig(text, path, options);
}

absl::StatusOr<AgentConfig> ParseAgentConfig(const std::string& yaml, const std::string& path,
                                             const ConfigLoadOptions& options) {
  ConfigErrors errors(path);
  YAML::Node root = LoadYamlString(yaml, &errors);
  if (!errors.empty()) return errors.ToStatus();
  YamlMap doc(root, "", &errors);
  if (!doc.valid()) return errors.ToStatus();

  AgentConfig c;
  c.file = path;
  const std::string base = DirOf(path);
  c.agent_id = HostName();
  ParseAgentSection(doc, &c);
  ParseCollectorSection(doc, base, options, &c);
  ParseSpoolSection(doc, base, &c);
  ParseChecks(doc, base, options, &errors, &c);
  doc.Finish();
  if (!errors.empty()) return errors.ToStatus();
  return c;
}

}  // namespace paraat
