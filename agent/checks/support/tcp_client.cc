#include "agent/checks/support/tcp_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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

// Waits until `fd` is ready for `events`, in slices so that a stopping agent is noticed: "" when
// ready, else why not.
std::string WaitReady(const CheckContext& ctx, int fd, short events) {
  const absl::Duration limit = ClientTimeout(ctx, absl::Seconds(30), absl::Milliseconds(1), absl::Seconds(30));
  const absl::Duration until = ctx.clock->Monotonic() + limit;
  while (true) {
    if (ctx.cancelled()) return "cancelled";
    const absl::Duration left = until - ctx.clock->Monotonic();
    if (left <= absl::ZeroDuration()) return "timed out";
    pollfd p{fd, events, 0};
    const int slice_ms = static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 100));
    const int n = ::poll(&p, 1, slice_ms);
    if (n > 0) return "";
    if (n < 0 && errno != EINTR) return std::strerror(errno);
  }
}

}  // namespace

bool SendAll(const CheckContext& ctx, const TcpSocket& socket, absl::string_view data, std::string* error) {
  while (!data.empty()) {
    const ssize_t n = ::send(socket.fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      *error = std::strerror(errno);
      return false;
    }
    if (*error = WaitReady(ctx, socket.fd(), POLLOUT); !error->empty()) return false;
  }
  return true;
}

bool ReceiveSome(const CheckContext& ctx, const TcpSocket& socket, std::string* buffer, std::string* error) {
  char chunk[64 << 10];
  while (true) {
    const ssize_t n = ::recv(socket.fd(), chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer->append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n == 0) {
      *error = "connection closed by the server";
      return false;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      *error = std::strerror(errno);
      return false;
    }
    if (*error = WaitReady(ctx, socket.fd(), POLLIN); !error->empty()) return false;
  }
}

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
