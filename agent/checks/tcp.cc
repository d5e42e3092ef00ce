#include "agent/checks/tcp.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/checks/support/tcp_client.h"
#include "common/net.h"

namespace paraat {

std::unique_ptr<Check> TcpCheck::Create(YamlMap& keys, const CheckEnv&) {
  auto target = keys.String("target", kRequired);
  if (!target) return nullptr;
  std::string host;
  int port;
  if (!SplitHostPort(*target, &host, &port) || port == 0) {
    keys.Error("target", absl::StrCat("\"", *target, "\" is not host:port"));
    return nullptr;
  }
  return std::make_unique<TcpCheck>(host, port);
}

void TcpCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  const std::string target = absl::StrCat(host_, ":", port_);
  AddDetail(r, "target", target);
  const TcpConnection c = ConnectTcp(ctx, host_, port_);
  const bool connected = c.ending == TcpConnection::Ending::kConnected;
  r->mutable_facts()->set_ready(connected);
  if (c.ending == TcpConnection::Ending::kUnresolved) {
    Fail(r, absl::StrCat("cannot resolve ", host_, ": ", c.error));
    return;
  }
  const double secs = absl::ToDoubleSeconds(c.took);
  AddValue(r, "connect_time", secs, "s");
  if (connected) {
    Ok(r, absl::StrFormat("%s accepts connections (%.0f ms)", target, secs * 1000));
  } else {
    Fail(r, absl::StrCat("cannot connect to ", target, ": ", c.error));
  }
}

}  // namespace paraat
