#include "agent/config.h"

#include <unistd.h>

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/checks/support/config_keys.h"
#include "agent/registry.h"
#include "common/ids.h"
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

}  // namespace

absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path) {
  ConfigErrors errors(path);
  std::string text;
  if (!ReadConfigFile(path, &text, &errors)) return errors.ToStatus();
  return ParseAgentConfig(text, path);
}

absl::StatusOr<AgentConfig> ParseAgentConfig(const std::string& yaml, const std::string& path) {
  ConfigErrors errors(path);
  YAML::Node root = LoadYamlString(yaml, &errors);
  if (!errors.empty()) return errors.ToStatus();
  YamlMap doc(root, "", &errors);
  if (!doc.valid()) return errors.ToStatus();

  AgentConfig c;
  c.file = path;
  const std::string base = DirOf(path);
  c.agent_id = HostName();
  if (auto agent = doc.Map("agent")) {
    if (auto id = agent->String("id")) {
      if (IsValidId(*id)) {
        c.agent_id = *id;
      } else {
        agent->Error("id", absl::StrCat("\"", *id, "\" is not a valid id (", IdRule(), ")"));
      }
    }
    if (auto labels = agent->StringMap("labels")) c.labels = *labels;
    if (auto n = agent->Int("concurrency", 1, 64)) c.concurrency = static_cast<int>(*n);
    agent->Finish();
  }
  if (auto col = doc.Map("collector", kRequired)) {
    if (auto a = col->String("address", kRequired)) c.collector_address = *a;
    if (auto tls = col->Map("tls")) {
      if (auto v = tls->String("ca", kRequired)) c.tls_ca = ResolveConfigPath(base, *v);
      if (auto v = tls->String("cert", kRequired)) c.tls_cert = ResolveConfigPath(base, *v);
      if (auto v = tls->String("key", kRequired)) c.tls_key = ResolveConfigPath(base, *v);
      tls->Finish();
    }
    if (auto v = col->Bool("insecure")) c.insecure = *v;
    col->Finish();
    if (!c.collector_address.empty() && c.tls_cert.empty() && !c.insecure && !IsLoopbackTarget(c.collector_address)) {
      col->Error("address", absl::StrCat("plaintext to ", c.collector_address,
                                         " is refused: configure collector.tls, or set collector.insecure: true"));
    }
  }
  if (auto spool = doc.Map("spool", kRequired)) {
    if (auto d = spool->String("dir", kRequired)) c.spool_dir = ResolveConfigPath(base, *d);
    if (auto m = spool->Size("max_size")) {
      if (*m < (64 << 10)) {
        spool->Error("max_size", "must be at least 64KiB");
      } else {
        c.spool_max_size = *m;
      }
    }
    spool->Finish();
  }
  if (auto v = doc.String("state_dir")) c.state_dir = ResolveConfigPath(base, *v);
  if (c.state_dir.empty() && !c.spool_dir.empty()) c.state_dir = c.spool_dir + "/check-state";

  YAML::Node checks = doc.Raw("checks");
  if (!checks.IsDefined() || checks.IsNull()) {
    doc.Error("checks", "is required: list at least one check");
  } else if (!checks.IsSequence()) {
    doc.Error("checks", "expected a list of checks");
  } else {
    std::set<std::string> ids;
    int index = 0;
    for (const YAML::Node& node : checks) {
      const std::string prefix = absl::StrCat("checks[", index++, "]");
      YamlMap m(node, prefix, &errors, LineOf(node));
      if (!m.valid()) continue;
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
        } else if (!ids.insert(*id).second) {
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
        m.Error("kind",
                absl::StrCat("unknown kind \"", *kind, "\" (known: ", absl::StrJoin(CheckKindNames(), ", "), ")"));
        continue;  // its other keys cannot be judged
      }
      if (k != nullptr) {
        spec.kind = *kind;
        CheckEnv env{base, spec.id, spec.interval, spec.timeout};
        spec.check = k->factory(m, env);
      }
      m.Finish();
      if (spec.check) c.checks.push_back(std::move(spec));
    }
    if (index == 0) doc.Error("checks", "is empty: list at least one check");
  }
  doc.Finish();
  if (!errors.empty()) return errors.ToStatus();
  return c;
}

}  // namespace paraat
