#include "ctl/client.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/grpc_credentials.h"
#include "common/limits.h"
#include "common/net.h"
#include "grpcpp/create_channel.h"

namespace paraat {

absl::StatusOr<std::unique_ptr<QueryClient>> QueryClient::Connect(const ClientOptions& o) {
  auto c = std::make_unique<QueryClient>();
  c->target_ = o.collector;
  if (o.ca.empty() && !o.insecure && !IsLoopbackTarget(o.collector)) {
    return absl::InvalidArgumentError(absl::StrCat("refusing plaintext to ", o.collector,
                                                   ": give --ca (and --cert/--key or --token-file), or --insecure"));
  }
  auto creds =
      ClientCredentials({o.ca, o.ca.empty() ? "" : o.cert, o.ca.empty() ? "" : o.key}, "--ca", "--cert", "--key");
  if (!creds.ok()) return creds.status();
  if (!o.token_file.empty()) {
    auto token = ReadRegularFile(o.token_file, kMaxSecretFileBytes);
    if (!token.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--token-file: ", o.token_file, ": ", token.status().message()));
    }
    c->token_ = std::string(absl::StripAsciiWhitespace(*token));
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  c->channel_ = grpc::CreateCustomChannel(o.collector, *creds, args);
  c->stub_ = paraat::v1::QueryService::NewStub(c->channel_);
  return c;
}

std::unique_ptr<grpc::ClientContext> QueryClient::Context(absl::Duration deadline) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (deadline > absl::ZeroDuration()) {
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(absl::ToInt64Milliseconds(deadline)));
  }
  if (!token_.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  return ctx;
}

absl::Status FromGrpc(const grpc::Status& s, const std::string& target) {
  const auto code = static_cast<absl::StatusCode>(s.error_code());
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::Status(code, absl::StrCat("cannot reach the collector at ", target, ": ", s.error_message()));
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::Status(code, absl::StrCat("the collector at ", target, " refused: ", s.error_message()));
    default:
      return absl::Status(code, s.error_message());
  }
}

}  // namespace paraat
