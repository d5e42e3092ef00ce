#include "common/grpc_credentials.h"

#include "absl/strings/str_cat.h"
#include "common/fs.h"

namespace paraat {

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(const TlsClientFiles& files,
                                                                            const std::string& ca_name,
                                                                            const std::string& cert_name,
                                                                            const std::string& key_name) {
  if (files.ca.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  struct Part {
    const std::string& path;
    const std::string& name;
    std::string* pem;
  };
  for (const Part& p : {Part{files.ca, ca_name, &ssl.pem_root_certs}, Part{files.cert, cert_name, &ssl.pem_cert_chain},
                        Part{files.key, key_name, &ssl.pem_private_key}}) {
    if (p.path.empty()) continue;
    auto pem = ReadFile(p.path);
    if (!pem.ok()) return absl::InvalidArgumentError(absl::StrCat(p.name, ": ", pem.status().message()));
    *p.pem = *std::move(pem);
  }
  if (ssl.pem_cert_chain.empty() != ssl.pem_private_key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("give both ", cert_name, " and ", key_name, ", or neither"));
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace paraat
