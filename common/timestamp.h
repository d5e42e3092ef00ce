// RFC 3161 time stamps: external evidence that a checkpoint existed at a time the collector's
// operator does not control.
//
// RequestTimestamp builds a TimeStampReq (version 1, SHA-256 message imprint of the data, a
// random 64-bit nonce, certReq so the token carries the TSA's certificate), POSTs it to the
// time-stamping authority with libcurl (Content-Type application/timestamp-query), parses the
// TimeStampResp and verifies it with OpenSSL's TS_VERIFY_CTX: the token's CMS signature and
// the signer's chain up to the CA file (the signer must carry the critical extendedKeyUsage
// timeStamping, as RFC 3161 §2.3 requires), the imprint, the nonce and the version. The token
// it returns (DER ContentInfo, what `openssl ts -verify -token_in` reads) is what to store.
//
// VerifyTimestampToken checks a stored token offline: signature and chain, imprint over the
// data; no nonce, as the request is gone. The same check with openssl alone:
//   openssl ts -verify -data checkpoint.txt -in checkpoint.tsr -token_in -CAfile tsa-ca.pem
//
// Errors (messages name the TSA's URL or the CA file):
//   Unavailable       the TSA cannot be reached or answers an HTTP error
//   DeadlineExceeded  no answer within the timeout
//   InvalidArgument   the answer is no TimeStampResp (garbage, an HTML page)
//   FailedPrecondition the TSA refused the request (its status and failure info), or the CA
//                     file cannot be read
//   DataLoss          the token does not verify: untrusted or unfit signer, wrong imprint,
//                     wrong nonce (a replayed answer), not SHA-256
// Thread-safety: all functions are thread-safe.
#ifndef PARAAT_COMMON_TIMESTAMP_H_
#define PARAAT_COMMON_TIMESTAMP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace paraat {

struct TimestampOptions {
  std::string url;      // http:// or https://
  std::string ca_file;  // PEM: the CA (or CAs) the TSA's certificate must chain to
  absl::Duration timeout = absl::Seconds(10);
};

struct Timestamp {
  std::string token;  // DER TimeStampToken (a CMS SignedData ContentInfo)
  absl::Time gen_time;
};

// The DER TimeStampReq for SHA-256(data), and its nonce (big-endian bytes).
struct TimestampRequest {
  std::string der;
  std::string imprint;  // the 32-byte SHA-256 of the data
  std::string nonce;
};
[[nodiscard]] absl::StatusOr<TimestampRequest> MakeTimestampRequest(absl::string_view data);

// Asks the TSA for a time stamp over `data` and verifies the answer (see above).
[[nodiscard]] absl::StatusOr<Timestamp> RequestTimestamp(absl::string_view data, const TimestampOptions& options);

// Parses and verifies a DER TimeStampResp answering `request` (RequestTimestamp's second half).
[[nodiscard]] absl::StatusOr<Timestamp> VerifyTimestampResponse(absl::string_view response,
                                                                const TimestampRequest& request,
                                                                const std::string& ca_file);

// Verifies a stored token over `data` against the CA file; its genTime (whole seconds).
[[nodiscard]] absl::StatusOr<absl::Time> VerifyTimestampToken(absl::string_view token, absl::string_view data,
                                                              const std::string& ca_file);

}  // namespace paraat

#endif  // PARAAT_COMMON_TIMESTAMP_H_
