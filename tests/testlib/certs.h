// Test certificates made with the openssl command at test time: a CA and certificates it
// signs, valid, expiring soon, or long expired.
#ifndef PARAAT_TESTS_TESTLIB_CERTS_H_
#define PARAAT_TESTS_TESTLIB_CERTS_H_

#include <string>

#include "absl/status/statusor.h"

namespace paraat::testing {

struct CertFiles {
  std::string cert, key;
  std::string pem;  // cert and key in one file (for civetweb)
};

class TestCa {
 public:
  // A new CA in `dir` (ca.pem, ca.key).
  [[nodiscard]] static absl::StatusOr<TestCa> Create(const std::string& dir,
                                                     const std::string& name = "Paraat Test CA");
  // A certificate for `cn` with the given subjectAltName (e.g. "DNS:localhost,IP:127.0.0.1"),
  // valid from `start` to `end` (openssl's YYYYMMDDHHMMSSZ form).
  [[nodiscard]] absl::StatusOr<CertFiles> Issue(const std::string& name, const std::string& cn, const std::string& san,
                                                const std::string& start, const std::string& end) const;
  // Valid from an hour ago for `days` days.
  [[nodiscard]] absl::StatusOr<CertFiles> Issue(const std::string& name, const std::string& cn, const std::string& san,
                                                int days = 30) const;
  const std::string& ca_pem() const { return ca_pem_; }

 private:
  std::string dir_, ca_pem_, ca_key_;
};

}  // namespace paraat::testing

#endif  // PARAAT_TESTS_TESTLIB_CERTS_H_
