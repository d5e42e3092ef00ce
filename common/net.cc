#include "common/net.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace paraat {

bool SplitHostPort(absl::string_view address, std::string* host, int* port) {
  absl::string_view h, p;
  if (absl::StartsWith(address, "[")) {
    size_t close = address.find(']');
    if (close == absl::string_view::npos || close + 1 >= address.size() || address[close + 1] != ':') return false;
    h = address.substr(1, close - 1);
    p = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == absl::string_view::npos) return false;
    h = address.substr(0, colon);
    p = address.substr(colon + 1);
    if (absl::StrContains(h, ":")) return false;  // bare IPv6 needs brackets
  }
  int v;
  if (h.empty() || !absl::SimpleAtoi(p, &v) || v < 0 || v > 65535) return false;
  *host = std::string(h);
  *port = v;
  return true;
}

bool IsLoopbackAddress(absl::string_view address) {
  if (absl::StartsWith(address, "unix:") || absl::StartsWith(address, "unix-abstract:")) return true;
  std::string host;
  int port;
  if (!SplitHostPort(address, &host, &port)) return false;
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

bool IsLoopbackTarget(absl::string_view target) {
  absl::string_view t = target;
  if (absl::ConsumePrefix(&t, "ipv4:") || absl::ConsumePrefix(&t, "ipv6:")) {
    for (absl::string_view addr : absl::StrSplit(t, ',')) {
      if (!IsLoopbackAddress(addr)) return false;
    }
    return true;
  }
  absl::ConsumePrefix(&t, "dns:///");
  absl::ConsumePrefix(&t, "dns:");
  return IsLoopbackAddress(t);
}

}  // namespace paraat
