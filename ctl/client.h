// paraatctl's connection to a collector's query API: the channel (TLS or, to loopback only,
// plaintext), the bearer token, and the translation of failed calls into statuses that say
// what went wrong in the user's terms.
//
// Errors: Connect() gives InvalidArgument for unusable options (exit 2); FromGrpc() keeps the
// call's code and adds context (UNAVAILABLE/DEADLINE_EXCEEDED: "cannot reach the collector at
// X", UNAUTHENTICATED/PERMISSION_DENIED: "the collector at X refused").
// Thread-safety: a connected QueryClient may be used from several threads (gRPC stubs are).
#ifndef PARAAT_CTL_CLIENT_H_
#define PARAAT_CTL_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "paraat/v1/query.grpc.pb.h"

namespace paraat {

struct ClientOptions {
  std::string collector = "localhost:7443";
  std::string ca, cert, key;  // TLS (client certificate optional)
  std::string token_file;     // bearer token, read from this file
  bool insecure = false;      // plaintext to a non-loopback collector
};

class QueryClient {
 public:
  // InvalidArgument for unusable options (plaintext to a remote collector, unreadable files).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<QueryClient>> Connect(const ClientOptions& options);

  paraat::v1::QueryService::Stub& stub() { return *stub_; }
  // A context with the token and a deadline (0: none).
  std::unique_ptr<grpc::ClientContext> Context(absl::Duration deadline = absl::Seconds(30)) const;
  const std::string& target() const { return target_; }

 private:
  std::string target_;
  std::string token_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<paraat::v1::QueryService::Stub> stub_;
};

// "cannot reach the collector at X: ..." etc., from a failed call.
absl::Status FromGrpc(const grpc::Status& status, const std::string& target);

}  // namespace paraat

#endif  // PARAAT_CTL_CLIENT_H_
