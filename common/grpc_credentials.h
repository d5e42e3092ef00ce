// Client-side gRPC credentials from PEM files, shared by the agent, paraatctl and the load
// generator. Safe from any thread (it only reads files).
#ifndef PARAAT_COMMON_GRPC_CREDENTIALS_H_
#define PARAAT_COMMON_GRPC_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"

namespace paraat {

struct TlsClientFiles {
  std::string ca;    // trust anchors for the collector's certificate; empty: plaintext
  std::string cert;  // this client's certificate chain (optional: mutual TLS)
  std::string key;   // and its private key
};

// TLS credentials when `files.ca` is set, plaintext otherwise. An unreadable file is an
// InvalidArgument error that names the option (`flag_ca` etc.) and the file.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(
    const TlsClientFiles& files, const std::string& ca_name = "ca", const std::string& cert_name = "cert",
    const std::string& key_name = "key");

}  // namespace paraat

#endif  // PARAAT_COMMON_GRPC_CREDENTIALS_H_
