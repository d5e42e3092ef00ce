// Address helpers shared by agent, collector and paraatctl, above all to decide where
// plaintext is acceptable (loopback only, unless configured otherwise). Pure; no name lookups.
#ifndef PARAAT_COMMON_NET_H_
#define PARAAT_COMMON_NET_H_

#include <string>

#include "absl/strings/string_view.h"

namespace paraat {

// Splits "host:port" / "[v6]:port". False when malformed or the port is not 0..65535.
bool SplitHostPort(absl::string_view address, std::string* host, int* port);
// True for localhost, 127.0.0.0/8, ::1 and unix sockets: plaintext is acceptable there.
bool IsLoopbackAddress(absl::string_view address);
// True for every address of a gRPC target (ipv4:a,b / dns:name / host:port) being loopback.
bool IsLoopbackTarget(absl::string_view target);

}  // namespace paraat

#endif  // PARAAT_COMMON_NET_H_
