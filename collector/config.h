// The collector's YAML config (docs/design.md, "Collector config").
#ifndef PARAAT_COLLECTOR_CONFIG_H_
#define PARAAT_COLLECTOR_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/serving/auth.h"

namespace paraat {

struct TlsFiles {
  std::string ca;
  std::string cert;
  std::string key;
  bool enabled() const { return !cert.empty(); }
};

// A file or directory the config names, and where it names it.
struct ConfigPath {
  std::string path;  // absolute
  std::string key;   // "tls.cert"
  int line = 0;
  bool directory = false;
};

struct CollectorConfig {
  std::string file;  // where it was read from
  std::string listen = "127.0.0.1:7443";
  std::string metrics_listen = "127.0.0.1:9464";
  std::string storage;    // sqlite:///abs/path.db or postgresql://...
  std::string plans_dir;  // absolute
  TlsFiles tls;
  bool insecure = false;  // allow plaintext on non-loopback addresses
  absl::Duration retention = absl::Hours(24 * 400);
  absl::Duration evaluation_interval = absl::Seconds(1);
  absl::Duration checkpoint_interval = absl::Seconds(5);
  absl::Duration verify_every = absl::Hours(24);  // the collector re-verifies the whole chain
  // How far an agent's clock, or a time it reports, may run ahead of the collector's before it
  // is logged, alerted on (offsets) and its evidence unusable (recovery_point_in_future).
  absl::Duration clock_tolerance = absl::Minutes(5);
  // A source is stale after max(3 intervals, this) without a result.
  absl::Duration min_stale = absl::Minutes(5);
  std::string log_level = "info";

  // The query API's access control (collector/serving/auth.h). `auth_configured` says an auth
  // section was given; without one, a plaintext loopback collector lets local users in as admin.
  AuthConfig auth;
  bool auth_configured = false;

  // /metrics and the status page: optional TLS and basic authentication.
  std::string metrics_tls_cert, metrics_tls_key;
  std::string metrics_user, metrics_password_file;

  // The web console (collector/serving/console/console.h), on metrics_listen.
  std::string web_theme;  // a CSS file of design tokens, served after the base
  std::string web_time_zone = "Europe/Amsterdam";
  std::string web_language = "nl";  // when Accept-Language names neither nl nor en
  absl::Duration web_session_ttl = absl::Hours(8);

  // Per-agent ingest limit: results per second, and the burst allowed above it.
  double agent_results_per_second = 5000;
  double agent_results_burst = 50000;
  // Agents the collector keeps (limits.max_agents), and how long an agent (or one of its
  // checks) may be silent before its series leave /metrics and it stops counting against that.
  size_t max_agents = 100000;
  absl::Duration agent_retention = absl::Hours(24 * 30);

  // Signed checkpoints of the evidence log (docs/evidence-format.md). The Ed25519 key (PKCS#8
  // PEM), generated there on first start when missing, its public key written beside it as
  // FILE.pub; by default beside a SQLite store, and none for PostgreSQL unless configured.
  std::string signing_key;
  int signing_key_line = 0;  // 0: not in the config
  absl::Duration checkpoint_every = absl::Hours(1);
  std::string evidence_origin = "paraat/evidence";  // the tree's name in its checkpoints
  std::string collector_id;                         // in the checkpoints; default: the host name
  // An RFC 3161 time-stamping authority each checkpoint is sent to (url empty: none).
  std::string timestamping_url, timestamping_ca;
  // A file (on another mount, ideally another host's) every signed checkpoint is appended to.
  std::string witness;

  // Every file and directory the config names: TLS files, token files, the metrics password
  // file, plans_dir. (The store's file is created when missing.)
  std::vector<ConfigPath> paths;
  // INVALID_ARGUMENT with a `file:line: key: problem` line for each of `paths` that does not
  // exist, or is not what it must be (a directory, a file); OK when all are there. Start-up
  // fails on them; --check-config reports them and exits 2.
  [[nodiscard]] absl::Status CheckPathsExist() const;
};

// Relative paths (storage file, plans_dir, TLS files) are resolved against the config file's
// directory. Problems are InvalidArgument with `file:line: key: problem` lines.
[[nodiscard]] absl::StatusOr<CollectorConfig> LoadCollectorConfig(const std::string& path);
// The same from text; `path` names the file in messages and anchors relative paths.
[[nodiscard]] absl::StatusOr<CollectorConfig> ParseCollectorConfig(const std::string& yaml, const std::string& path);

// Resolves `path` against `base_dir` unless it is absolute.
std::string ResolvePath(const std::string& base_dir, const std::string& path);
// The absolute directory of `path`.
std::string DirName(const std::string& path);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_CONFIG_H_
