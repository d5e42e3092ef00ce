#include "agent/checks/tcp.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/checks/support/client.h"
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
  const absl::Duration start = ctx.clock->Monotonic();
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &res);
  if (rc != 0) {
    r->mutable_facts()->set_ready(false);
    Fail(r, absl::StrCat("cannot resolve ", host_, ": ", gai_strerror(rc)));
    return;
  }
  std::string last_error = "no address";
  bool connected = false;
  for (addrinfo* ai = res; ai != nullptr && !connected; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      connected = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int wait_ms = static_cast<int>(
          absl::ToInt64Milliseconds(ClientTimeout(ctx, absl::Seconds(30), absl::Milliseconds(1), absl::Seconds(30))));
      if (::poll(&p, 1, wait_ms) == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) {
          connected = true;
        } else {
          last_error = std::strerror(err);
        }
      } else {
        last_error = "timed out";
      }
    } else {
      last_error = std::strerror(errno);
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  const double secs = absl::ToDoubleSeconds(ctx.clock->Monotonic() - start);
  AddValue(r, "connect_time", secs, "s");
  r->mutable_facts()->set_ready(connected);
  if (connected) {
    Ok(r, absl::StrFormat("%s accepts connections (%.0f ms)", target, secs * 1000));
  } else {
    Fail(r, absl::StrCat("cannot connect to ", target, ": ", last_error));
  }
}

}  // namespace paraat
