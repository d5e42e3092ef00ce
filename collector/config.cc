#include "collector/config.h"

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
  YAML::Node root = LoadYamlFile(path, &errors);
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
      doc.Error("storage", absl::StrCat("\"", url,
                                        "\" is not a storage URL (use sqlite:///path/paraat.db or postgresql://...)"));
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
  if (auto v = doc.Enum("log_level", {"debug", "info", "warning", "error"})) c.log_level = *v;
  doc.Finish();

  if (errors.empty() && !c.tls.enabled() && !c.insecure && !IsLoopbackAddress(c.listen)) {
    doc.Error("listen", absl::StrCat("plaintext gRPC on non-loopback address ", c.listen,
                                     " is refused: configure tls, or set insecure: true"));
  }
  if (!errors.empty()) return errors.ToStatus();
  return c;
}

}  // namespace paraat
