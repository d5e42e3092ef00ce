// absl::Status to grpc::Status, in one place: the codes are the same numbers.
#ifndef PARAAT_COMMON_GRPC_STATUS_H_
#define PARAAT_COMMON_GRPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace paraat {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace paraat

#endif  // PARAAT_COMMON_GRPC_STATUS_H_
