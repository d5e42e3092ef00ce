#include "agent/checks/support/tcp_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/checks/support/client.h"

namespace paraat {
namespace {

// Connects a non-blocking socket to one address within the check's time left; "" on success.
std::string ConnectOne(const CheckContext& ctx, int fd, const addrinfo* ai) {
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return "";
  if (errno != EINPROGRESS) return std::strerror(errno);
  pollfd p{fd, POLLOUT, 0};
  const int wait_ms = static_cast<int>(
      absl::ToInt64Milliseconds(ClientTimeout(ctx, absl::Seconds(30), absl::Milliseconds(1), absl::Seconds(30))));
  if (::poll(&p, 1, wait_ms) != 1) return "timed out";
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return err == 0 ? "" : std::strerror(err);
}

}  // namespace

TcpSocket& TcpSocket::operator=(TcpSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

TcpSocket::~TcpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

TcpConnection ConnectTcp(const CheckContext& ctx, const std::string& host, int port) {
  TcpConnection c;
  const absl::Duration start = ctx.clock->Monotonic();
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) {
    c.ending = TcpConnection::Ending::kUnresolved;
    c.error = gai_strerror(rc);
    c.took = ctx.clock->Monotonic() - start;
    return c;
  }
  c.error = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    TcpSocket s(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!s.open()) {
      c.error = std::strerror(errno);
      continue;
    }
    c.error = ConnectOne(ctx, s.fd(), ai);
    if (c.error.empty()) {
      c.ending = TcpConnection::Ending::kConnected;
      c.socket = std::move(s);
      break;
    }
  }
  ::freeaddrinfo(res);
  c.took = ctx.clock->Monotonic() - start;
  return c;
}

}  // namespace paraat
