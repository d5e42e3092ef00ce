#include "collector/config.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "common/net.h"
#include "common/yaml_reader.h"

namespace paraat {

std::string DirName(const std::string& path) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec) abs = path;
  return abs.lexically_normal().parent_path().string();
}

std::vector<std::string> CollectorConfig::MissingFiles() const {
  std::vector<std::string> files = {tls.ca,           tls.cert,        tls.key,
                                    metrics_tls_cert, metrics_tls_key, metrics_password_file};
  for (const TokenGrant& t : auth.tokens) files.push_back(t.file);
  std::vector<std::string> missing;
  for (const std::string& f : files) {
    struct stat st;
    if (!f.empty() && ::stat(f.c_str(), &st) != 0) missing.push_back(f);
  }
  return missing;
}

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return absl::StrCat(base_dir, "/", path);
}

namespace {

void CheckAddress(YamlMap& doc, const char* key, const std::string& value) {
  std::string host;
  int port;
  if (!SplitHostPort(value, &host, &port)) {
    doc.Error(key, absl::StrCat("\"", value, "\" is not host:port (e.g. 0.0.0.0:7443)"));
  }
}

}  // namespace

absl::StatusOr<CollectorConfig> LoadCollectorConfig(const std::string& path) {
  ConfigErrors errors(path);
  std::string text;
  if (!ReadConfigFile(path, &text, &errors)) return errors.ToStatus();
  return ParseCollectorConfig(text, path);
}

absl::StatusOr<CollectorConfig> ParseCollectorConfig(const std::string& yaml, const std::string& path) {
  ConfigErrors errors(path);
  YAML::Node root = LoadYamlString(yaml, &errors);
  if (!errors.empty()) return errors.ToStatus();
  YamlMap doc(root, "", &errors);
  if (!doc.valid()) return errors.ToStatus();

  CollectorConfig c;
  c.file = path;
  const std::string base = DirName(path);
  if (auto v = doc.String("listen")) {
    c.listen = *v;
    CheckAddress(doc, "listen", c.listen);
  }
  if (auto v = doc.String("metrics_listen")) {
    c.metrics_listen = *v;
    CheckAddress(doc, "metrics_listen", c.metrics_listen);
  }
  if (auto v = doc.String("storage", kRequired)) {
    std::string url = *v;
    absl::string_view rest = url;
    if (absl::ConsumePrefix(&rest, "sqlite://")) {
      if (rest.empty()) {
        doc.Error("storage", "sqlite:// needs a file, e.g. sqlite:///var/lib/paraat/paraat.db");
      } else {
        c.storage = absl::StrCat("sqlite://", ResolvePath(base, std::string(rest)));
      }
    } else if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
      c.storage = url;
    } else {
      doc.Error("storage",
                absl::StrCat("\"", url, "\" is not a storage URL (use sqlite:///path/paraat.db or postgresql://...)"));
    }
  }
  if (auto v = doc.String("plans_dir", kRequired)) c.plans_dir = ResolvePath(base, *v);
  if (auto tls = doc.Map("tls")) {
    if (auto v = tls->String("ca", kRequired)) c.tls.ca = ResolvePath(base, *v);
    if (auto v = tls->String("cert", kRequired)) c.tls.cert = ResolvePath(base, *v);
    if (auto v = tls->String("key", kRequired)) c.tls.key = ResolvePath(base, *v);
    tls->Finish();
  }
  if (auto v = doc.Bool("insecure")) c.insecure = *v;
  if (auto v = doc.PositiveDuration("retention")) c.retention = *v;
  if (auto v = doc.PositiveDuration("evaluation_interval")) c.evaluation_interval = *v;
  if (auto v = doc.PositiveDuration("checkpoint_interval")) c.checkpoint_interval = *v;
  if (auto v = doc.PositiveDuration("verify_every")) c.verify_every = *v;
  if (auto v = doc.Enum("log_level", {"debug", "info", "warning", "error"})) c.log_level = *v;
  if (auto auth = doc.Map("auth")) {
    c.auth_configured = true;
    YAML::Node tokens = auth->Raw("tokens");
    if (tokens.IsDefined() && !tokens.IsSequence()) auth->Error("tokens", "expected a list of {file, role}");
    int i = 0;
    for (const YAML::Node& t : tokens.IsSequence() ? tokens : YAML::Node()) {
      YamlMap m(t, absl::StrCat("auth.tokens[", i++, "]"), &errors, LineOf(t));
      if (!m.valid()) continue;
      TokenGrant g;
      if (auto f = m.String("file", kRequired)) g.file = ResolvePath(base, *f);
      if (auto r = m.Enum("role", {"viewer", "auditor", "admin"}, kRequired)) ParseQueryRole(*r, &g.role);
      m.Finish();
      if (!g.file.empty()) c.auth.tokens.push_back(g);
    }
    YAML::Node clients = auth->Raw("clients");
    if (clients.IsDefined() && !clients.IsSequence()) auth->Error("clients", "expected a list of {subject, role}");
    i = 0;
    for (const YAML::Node& t : clients.IsSequence() ? clients : YAML::Node()) {
      YamlMap m(t, absl::StrCat("auth.clients[", i++, "]"), &errors, LineOf(t));
      if (!m.valid()) continue;
      auto subject = m.String("subject", kRequired);
      QueryRole role = QueryRole::kNone;
      if (auto r = m.Enum("role", {"viewer", "auditor", "admin"}, kRequired)) ParseQueryRole(*r, &role);
      m.Finish();
      if (subject) c.auth.clients[*subject] = role;
    }
    if (auto a = auth->Enum("anonymous", {"none", "viewer", "auditor", "admin"})) ParseQueryRole(*a, &c.auth.anonymous);
    auth->Finish();
  }
  if (auto m = doc.Map("metrics_tls")) {
    if (auto v = m->String("cert", kRequired)) c.metrics_tls_cert = ResolvePath(base, *v);
    if (auto v = m->String("key", kRequired)) c.metrics_tls_key = ResolvePath(base, *v);
    m->Finish();
  }
  if (auto m = doc.Map("metrics_auth")) {
    if (auto v = m->String("user", kRequired)) c.metrics_user = *v;
    if (auto v = m->String("password_file", kRequired)) {
      c.metrics_password_file = ResolvePath(base, *v);
      struct stat st;
      if (::stat(c.metrics_password_file.c_str(), &st) == 0 && (st.st_mode & S_IROTH)) {
        m->Error("password_file", absl::StrCat(c.metrics_password_file, " is readable by everyone; chmod 600 it"));
      }
    }
    m->Finish();
  }
  if (auto l = doc.Map("limits")) {
    if (auto v = l->Int("agent_results_per_second", 1, 100000000)) c.agent_results_per_second = static_cast<double>(*v);
    if (auto v = l->Int("agent_results_burst", 1, 1000000000)) c.agent_results_burst = static_cast<double>(*v);
    l->Finish();
  }
  doc.Finish();
  // Token files are read at start-up (a missing one stops it there); one readable by everyone is
  // refused here already.
  for (size_t i = 0; i < c.auth.tokens.size(); ++i) {
    struct stat st;
    if (::stat(c.auth.tokens[i].file.c_str(), &st) == 0 && (st.st_mode & S_IROTH)) {
      doc.Error("auth", absl::StrCat("token file ", c.auth.tokens[i].file, " is readable by everyone; chmod 600 it"));
    }
  }
  if (!c.auth_configured) {
    // A developer's or the demo's loopback collector: local users may do everything.
    c.auth.anonymous = !c.tls.enabled() && IsLoopbackAddress(c.listen) ? QueryRole::kAdmin : QueryRole::kNone;
  }

  if (errors.empty() && !c.tls.enabled() && !c.insecure && !IsLoopbackAddress(c.listen)) {
    doc.Error("listen", absl::StrCat("plaintext gRPC on non-loopback address ", c.listen,
                                     " is refused: configure tls, or set insecure: true"));
  }
  if (!errors.empty()) return errors.ToStatus();
  return c;
}

}  // namespace paraat
