#include "collector/serving/auth.h"

#include <grpc/grpc_security_constants.h>
#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/limits.h"

namespace paraat {

const char* QueryRoleName(QueryRole role) {
  switch (role) {
    case QueryRole::kViewer:
      return "viewer";
    case QueryRole::kAuditor:
      return "auditor";
    case QueryRole::kAdmin:
      return "admin";
    default:
      return "none";
  }
}

bool ParseQueryRole(const std::string& text, QueryRole* role) {
  if (text == "none")
    *role = QueryRole::kNone;
  else if (text == "viewer")
    *role = QueryRole::kViewer;
  else if (text == "auditor")
    *role = QueryRole::kAuditor;
  else if (text == "admin")
    *role = QueryRole::kAdmin;
  else
    return false;
  return true;
}

bool SecretEquals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::vector<std::string> PeerIdentities(const grpc::AuthContext& context) {
  std::vector<std::string> out;
  if (!context.IsPeerAuthenticated()) return out;
  for (const auto& v : context.FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME)) out.emplace_back(v.data(), v.size());
  for (const auto& v : context.FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
    std::string uri(v.data(), v.size());
    out.push_back(uri);
    size_t slash = uri.find_last_of('/');
    if (slash != std::string::npos && slash + 1 < uri.size()) out.push_back(uri.substr(slash + 1));
  }
  return out;
}

absl::StatusOr<Authorizer> Authorizer::Create(const AuthConfig& config) {
  Authorizer a;
  for (const TokenGrant& g : config.tokens) {
    struct stat st;
    if (::stat(g.file.c_str(), &st) == 0 && (st.st_mode & S_IROTH)) {
      return absl::FailedPreconditionError(
          absl::StrCat("token file ", g.file, " is readable by everyone; chmod 600 it"));
    }
    auto token = ReadRegularFile(g.file, kMaxSecretFileBytes);
    if (!token.ok())
      return absl::FailedPreconditionError(absl::StrCat("token file ", g.file, ": ", token.status().message()));
    std::string t(absl::StripAsciiWhitespace(*token));
    if (t.size() < 16) {
      return absl::FailedPreconditionError(absl::StrCat("token file ", g.file, " holds fewer than 16 characters"));
    }
    a.tokens_.emplace_back(t, g.role);
  }
  a.clients_ = config.clients;
  a.anonymous_ = config.anonymous;
  return a;
}

QueryRole Authorizer::RoleOfToken(const std::string& token) const {
  QueryRole role = QueryRole::kNone;
  for (const auto& [t, r] : tokens_) {
    if (SecretEquals(token, t) && r > role) role = r;
  }
  return role;
}

QueryRole Authorizer::RoleOfIdentities(const std::vector<std::string>& identities) const {
  QueryRole role = QueryRole::kNone;
  for (const std::string& id : identities) {
    auto c = clients_.find(id);
    if (c != clients_.end() && c->second > role) role = c->second;
  }
  return role;
}

QueryRole Authorizer::RoleOf(const grpc::ServerContext& context) const {
  QueryRole role = anonymous_;
  const auto& md = context.client_metadata();
  auto it = md.find("authorization");
  if (it != md.end()) {
    std::string value(it->second.data(), it->second.size());
    if (absl::StartsWithIgnoreCase(value, "bearer ")) {
      role = std::max(role, RoleOfToken(std::string(absl::StripAsciiWhitespace(value.substr(7)))));
    }
  }
  if (auto ac = context.auth_context()) role = std::max(role, RoleOfIdentities(PeerIdentities(*ac)));
  return role;
}

QueryRole NeededRole(Permission permission) {
  return permission == Permission::kView    ? QueryRole::kViewer
         : permission == Permission::kAudit ? QueryRole::kAuditor
                                            : QueryRole::kAdmin;
}

grpc::Status Authorizer::Check(const grpc::ServerContext& context, Permission permission) const {
  const QueryRole need = NeededRole(permission);
  const QueryRole have = RoleOf(context);
  if (have >= need) return grpc::Status::OK;
  if (have == QueryRole::kNone) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "no credentials: give a bearer token (--token-file) or a client certificate");
  }
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, absl::StrCat("this needs the ", QueryRoleName(need),
                                                                        " role; the caller has ", QueryRoleName(have)));
}

}  // namespace paraat
