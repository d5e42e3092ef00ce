#include "collector/config.h"

#include <sys/stat.h>

#include <filesystem>
#include <optional>

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

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return absl::StrCat(base_dir, "/", path);
}

absl::Status CollectorConfig::CheckPathsExist() const {
  ConfigErrors errors(file);
  for (const ConfigPath& p : paths) {
    struct stat st;
    if (::stat(p.path.c_str(), &st) != 0) {
      errors.Add(p.line, p.key, absl::StrCat(p.path, " does not exist"));
    } else if (p.directory && !S_ISDIR(st.st_mode)) {
      errors.Add(p.line, p.key, absl::StrCat(p.path, " is not a directory"));
    } else if (!p.directory && S_ISDIR(st.st_mode)) {
      errors.Add(p.line, p.key, absl::StrCat(p.path, " is a directory, not a file"));
    }
  }
  return errors.ToStatus();
}

namespace {

// Reads the parts of a collector config, resolving paths against the config file's directory.
class Parser {
 public:
  Parser(const std::string& path, ConfigErrors* errors) : base_(DirName(path)), errors_(errors) { c_.file = path; }

  CollectorConfig Parse(YamlMap& doc) {
    if (auto v = doc.String("listen")) c_.listen = Address(doc, "listen", *v);
    if (auto v = doc.String("metrics_listen")) c_.metrics_listen = Address(doc, "metrics_listen", *v);
    if (auto v = doc.String("storage", kRequired)) Storage(doc, *v);
    if (auto v = Path(doc, "plans_dir", kRequired, /*directory=*/true)) c_.plans_dir = *v;
    if (auto tls = doc.Map("tls")) {
      if (auto v = Path(*tls, "ca", kRequired)) c_.tls.ca = *v;
      if (auto v = Path(*tls, "cert", kRequired)) c_.tls.cert = *v;
      if (auto v = Path(*tls, "key", kRequired)) c_.tls.key = *v;
      tls->Finish();
    }
    if (auto v = doc.Bool("insecure")) c_.insecure = *v;
    if (auto v = doc.PositiveDuration("retention")) c_.retention = *v;
    if (auto v = doc.PositiveDuration("evaluation_interval")) c_.evaluation_interval = *v;
    if (auto v = doc.PositiveDuration("checkpoint_interval")) c_.checkpoint_interval = *v;
    if (auto v = doc.PositiveDuration("verify_every")) c_.verify_every = *v;
    if (auto v = doc.PositiveDuration("clock_tolerance")) c_.clock_tolerance = *v;
    if (auto v = doc.PositiveDuration("min_stale")) c_.min_stale = *v;
    if (auto v = doc.PositiveDuration("agent_retention")) c_.agent_retention = *v;
    if (auto v = doc.Enum("log_level", {"debug", "info", "warning", "error"})) c_.log_level = *v;
    if (auto auth = doc.Map("auth")) Auth(*auth);
    Metrics(doc);
    if (auto w = doc.Map("web")) Web(*w);
    Evidence(doc);
    if (auto l = doc.Map("limits")) {
      if (auto v = l->Int("agent_results_per_second", 1, 100000000))
        c_.agent_results_per_second = static_cast<double>(*v);
      if (auto v = l->Int("agent_results_burst", 1, 1000000000)) c_.agent_results_burst = static_cast<double>(*v);
      if (auto v = l->Int("max_agents", 1, 100000000)) c_.max_agents = static_cast<size_t>(*v);
      l->Finish();
    }
    doc.Finish();
    Check(doc);
    return std::move(c_);
  }

 private:
  static std::string Address(YamlMap& map, const char* key, const std::string& value) {
    std::string host;
    int port;
    if (!SplitHostPort(value, &host, &port)) {
      map.Error(key, absl::StrCat("\"", value, "\" is not host:port (e.g. 0.0.0.0:7443)"));
    }
    return value;
  }

  // A path-valued key: resolved, and remembered with where it is named.
  std::optional<std::string> Path(YamlMap& map, const char* key, Presence presence, bool directory = false) {
    auto v = map.String(key, presence);
    if (!v) return std::nullopt;
    std::string path = ResolvePath(base_, *v);
    c_.paths.push_back(ConfigPath{path, map.KeyPath(key), LineOf(map.Raw(key)), directory});
    return path;
  }

  void Storage(YamlMap& doc, const std::string& url) {
    absl::string_view rest = url;
    if (absl::ConsumePrefix(&rest, "sqlite://")) {
      if (rest.empty()) {
        doc.Error("storage", "sqlite:// needs a file, e.g. sqlite:///var/lib/paraat/paraat.db");
      } else {
        c_.storage = absl::StrCat("sqlite://", ResolvePath(base_, std::string(rest)));
      }
    } else if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
      c_.storage = url;
    } else {
      doc.Error("storage",
                absl::StrCat("\"", url, "\" is not a storage URL (use sqlite:///path/paraat.db or postgresql://...)"));
    }
  }

  void Auth(YamlMap& auth) {
    c_.auth_configured = true;
    // A missing key is a null node (yaml-cpp's default Node counts as defined).
    YAML::Node tokens = auth.Raw("tokens");
    if (!tokens.IsNull() && !tokens.IsSequence()) auth.Error("tokens", "expected a list of {file, role}");
    int i = 0;
    for (const YAML::Node& t : tokens.IsSequence() ? tokens : YAML::Node()) {
      YamlMap m(t, absl::StrCat("auth.tokens[", i++, "]"), errors_, LineOf(t));
      if (!m.valid()) continue;
      TokenGrant g;
      if (auto f = Path(m, "file", kRequired)) g.file = *f;
      if (auto r = m.Enum("role", {"viewer", "auditor", "admin"}, kRequired)) ParseQueryRole(*r, &g.role);
      m.Finish();
      if (!g.file.empty()) c_.auth.tokens.push_back(g);
    }
    YAML::Node clients = auth.Raw("clients");
    if (!clients.IsNull() && !clients.IsSequence()) auth.Error("clients", "expected a list of {subject, role}");
    i = 0;
    for (const YAML::Node& t : clients.IsSequence() ? clients : YAML::Node()) {
      YamlMap m(t, absl::StrCat("auth.clients[", i++, "]"), errors_, LineOf(t));
      if (!m.valid()) continue;
      auto subject = m.String("subject", kRequired);
      QueryRole role = QueryRole::kNone;
      if (auto r = m.Enum("role", {"viewer", "auditor", "admin"}, kRequired)) ParseQueryRole(*r, &role);
      m.Finish();
      if (subject) c_.auth.clients[*subject] = role;
    }
    if (auto a = auth.Enum("anonymous", {"none", "viewer", "auditor", "admin"})) ParseQueryRole(*a, &c_.auth.anonymous);
    auth.Finish();
  }

  void Metrics(YamlMap& doc) {
    if (auto m = doc.Map("metrics_tls")) {
      if (auto v = Path(*m, "cert", kRequired)) c_.metrics_tls_cert = *v;
      if (auto v = Path(*m, "key", kRequired)) c_.metrics_tls_key = *v;
      m->Finish();
    }
    if (auto m = doc.Map("metrics_auth")) {
      if (auto v = m->String("user", kRequired)) c_.metrics_user = *v;
      if (auto v = Path(*m, "password_file", kRequired)) {
        c_.metrics_password_file = *v;
        struct stat st;
        if (::stat(v->c_str(), &st) == 0 && (st.st_mode & S_IROTH)) {
          m->Error("password_file", absl::StrCat(*v, " is readable by everyone; chmod 600 it"));
        }
      }
      m->Finish();
    }
  }

  void Evidence(YamlMap& doc) {
    if (auto v = doc.String("signing_key")) {
      c_.signing_key = ResolvePath(base_, *v);
      c_.signing_key_line = LineOf(doc.Raw("signing_key"));
      struct stat st;
      if (::stat(c_.signing_key.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO))) {
        doc.Error("signing_key", absl::StrCat(c_.signing_key, " may be read or written by others; chmod 600 it"));
      }
    } else if (absl::StartsWith(c_.storage, "sqlite://")) {
      c_.signing_key = absl::StrCat(DirName(c_.storage.substr(9)), "/signing_key.pem");
    }
    if (auto v = doc.PositiveDuration("checkpoint_every")) c_.checkpoint_every = *v;
    if (auto v = doc.String("evidence_origin")) c_.evidence_origin = *v;
    if (auto v = doc.String("collector_id")) c_.collector_id = *v;
    if (auto t = doc.Map("timestamping")) {
      if (auto v = t->String("url", kRequired)) {
        if (!absl::StartsWith(*v, "http://") && !absl::StartsWith(*v, "https://")) {
          t->Error("url", absl::StrCat("\"", *v, "\" is no http:// or https:// URL"));
        }
        c_.timestamping_url = *v;
      }
      if (auto v = Path(*t, "ca", kRequired)) c_.timestamping_ca = *v;
      t->Finish();
    }
    if (auto v = doc.String("witness")) c_.witness = ResolvePath(base_, *v);
  }

  void Web(YamlMap& w) {
    if (auto v = Path(w, "theme", kOptional)) c_.web_theme = *v;
    if (auto v = w.String("time_zone", kOptional)) {
      absl::TimeZone tz;
      if (!absl::LoadTimeZone(*v, &tz)) {
        w.Error("time_zone",
                absl::StrCat("\"", *v, "\" is not a time zone of the system's database (e.g. Europe/Amsterdam)"));
      }
      c_.web_time_zone = *v;
    }
    if (auto v = w.Enum("language", {"nl", "en"})) c_.web_language = *v;
    if (auto v = w.PositiveDuration("session_ttl")) c_.web_session_ttl = *v;
    w.Finish();
  }

  // What only the whole config can tell.
  void Check(YamlMap& doc) {
    // Token files are read at start-up (a missing one stops it there); one readable by everyone
    // is refused here already.
    for (const TokenGrant& t : c_.auth.tokens) {
      struct stat st;
      if (::stat(t.file.c_str(), &st) == 0 && (st.st_mode & S_IROTH)) {
        doc.Error("auth", absl::StrCat("token file ", t.file, " is readable by everyone; chmod 600 it"));
      }
    }
    if (!c_.auth_configured) {
      // A developer's or the demo's loopback collector: local users may do everything.
      c_.auth.anonymous = !c_.tls.enabled() && IsLoopbackAddress(c_.listen) ? QueryRole::kAdmin : QueryRole::kNone;
    }
    if (errors_->empty() && !c_.tls.enabled() && !c_.insecure && !IsLoopbackAddress(c_.listen)) {
      doc.Error("listen", absl::StrCat("plaintext gRPC on non-loopback address ", c_.listen,
                                       " is refused: configure tls, or set insecure: true"));
    }
  }

  const std::string base_;
  ConfigErrors* const errors_;
  CollectorConfig c_;
};

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
  CollectorConfig c = Parser(path, &errors).Parse(doc);
  if (!errors.empty()) return errors.ToStatus();
  return c;
}

}  // namespace paraat
