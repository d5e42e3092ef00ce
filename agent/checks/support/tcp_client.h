// A TCP connection for check kinds that talk a protocol over a socket (tcp, redis_replication):
// the name resolved through the system resolver, each address tried in turn, each connect bounded
// by the check's time left (at most 30 s). The socket is non-blocking; Send and Receive are
// poll()-driven exchanges that end with the check's deadline or its cancellation. Thread-safe:
// each call makes its own socket.
#ifndef PARAAT_AGENT_CHECKS_SUPPORT_TCP_CLIENT_H_
#define PARAAT_AGENT_CHECKS_SUPPORT_TCP_CLIENT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/check.h"

namespace paraat {

// An open socket, closed when this goes.
class TcpSocket {
 public:
  TcpSocket() = default;
  explicit TcpSocket(int fd) : fd_(fd) {}
  TcpSocket(TcpSocket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  TcpSocket& operator=(TcpSocket&& o) noexcept;
  TcpSocket(const TcpSocket&) = delete;
  TcpSocket& operator=(const TcpSocket&) = delete;
  ~TcpSocket();
  int fd() const { return fd_; }
  bool open() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct TcpConnection {
  enum class Ending { kConnected, kUnresolved, kFailed };
  Ending ending = Ending::kFailed;
  std::string error;  // why not, e.g. "Connection refused", "timed out", the resolver's words
  TcpSocket socket;
  absl::Duration took;  // resolving and connecting, on the check's monotonic clock
};

TcpConnection ConnectTcp(const CheckContext& ctx, const std::string& host, int port);

// Writes all of `data` within the check's time left (at most 30 s without progress). False with
// `error` set: "timed out", "cancelled", or the system's words ("Broken pipe").
bool SendAll(const CheckContext& ctx, const TcpSocket& socket, absl::string_view data, std::string* error);
// Appends what arrives next (at least one byte, at most 64 KiB) to `buffer`, waiting within the
// check's time left (at most 30 s). False with `error` set: "connection closed by the server",
// "timed out", "cancelled", or the system's words.
bool ReceiveSome(const CheckContext& ctx, const TcpSocket& socket, std::string* buffer, std::string* error);

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_SUPPORT_TCP_CLIENT_H_
