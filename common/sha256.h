// SHA-256 through OpenSSL's EVP interface (uses SHA-NI where the CPU has it). OpenSSL failing
// to allocate or initialise a digest context is a broken invariant and aborts.
#ifndef PARAAT_COMMON_SHA256_H_
#define PARAAT_COMMON_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace paraat {

using Digest = std::array<uint8_t, 32>;

// Streaming hasher. Not thread-safe; cheap to Reset and reuse.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Reset();
  void Update(const void* data, size_t size);
  void Update(absl::string_view data) { Update(data.data(), data.size()); }
  Digest Finish();  // also resets

 private:
  EVP_MD_CTX* ctx_;
};

Digest Sha256Of(absl::string_view data);
std::string ToHex(const uint8_t* data, size_t size);
inline std::string ToHex(const Digest& d) { return ToHex(d.data(), d.size()); }
inline absl::string_view DigestBytes(const Digest& d) {
  return absl::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

}  // namespace paraat

#endif  // PARAAT_COMMON_SHA256_H_
