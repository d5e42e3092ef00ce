// Who may do what on the collector.
//
// Agents: with TLS configured, an agent stream needs a client certificate signed by the
// configured CA, and the agent id it claims must be that certificate's identity: its common
// name, a URI SAN, or the last path segment of a URI SAN (spiffe://example.org/agent/db-01).
//
// The query API (paraatctl): roles viewer < auditor < admin — viewers read status and plans,
// auditors also export and verify evidence, admins also record exercises and reload plans —
// granted to bearer tokens (each read from a file) and to client certificate subjects. Callers
// with neither get the `anonymous` role: by default none, except on a plaintext loopback
// collector without an auth section (a developer's or the demo's), where it is admin.
#ifndef PARAAT_COLLECTOR_SERVING_AUTH_H_
#define PARAAT_COLLECTOR_SERVING_AUTH_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collector/serving/query_service.h"
#include "grpcpp/security/auth_context.h"
#include "grpcpp/server_context.h"

namespace paraat {

enum class QueryRole { kNone = 0, kViewer = 1, kAuditor = 2, kAdmin = 3 };
const char* QueryRoleName(QueryRole role);
bool ParseQueryRole(const std::string& text, QueryRole* role);

struct TokenGrant {
  std::string file;
  QueryRole role = QueryRole::kNone;
};

struct AuthConfig {
  std::vector<TokenGrant> tokens;
  std::map<std::string, QueryRole> clients;  // certificate subject -> role
  QueryRole anonymous = QueryRole::kNone;
};

// The identities a verified client certificate carries (empty without one).
std::vector<std::string> PeerIdentities(const grpc::AuthContext& context);

class Authorizer {
 public:
  // Reads the token files. FAILED_PRECONDITION names a missing, empty or world-readable file.
  [[nodiscard]] static absl::StatusOr<Authorizer> Create(const AuthConfig& config);

  // The caller's role: the highest of its token's, its certificate's and the anonymous role.
  QueryRole RoleOf(const grpc::ServerContext& context) const;
  // What a bearer token grants (kNone for an unknown one), what certificate identities grant,
  // and what callers without either get: for the web console, which reads them from HTTP.
  QueryRole RoleOfToken(const std::string& token) const;
  QueryRole RoleOfIdentities(const std::vector<std::string>& identities) const;
  QueryRole anonymous() const { return anonymous_; }
  // OK, UNAUTHENTICATED (no credentials and no anonymous access) or PERMISSION_DENIED.
  grpc::Status Check(const grpc::ServerContext& context, Permission permission) const;

 private:
  std::vector<std::pair<std::string, QueryRole>> tokens_;
  std::map<std::string, QueryRole> clients_;
  QueryRole anonymous_ = QueryRole::kNone;
};

// The role a permission needs.
QueryRole NeededRole(Permission permission);

// Constant-time comparison for secrets.
bool SecretEquals(const std::string& a, const std::string& b);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_AUTH_H_
