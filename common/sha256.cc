#include "common/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace paraat {
namespace {

// OpenSSL 3 looks an algorithm up in its provider tables (under a lock) every time
// EVP_sha256() is initialised; fetching it once makes hashing small records several times
// faster (the evidence chain hashes one per result).
const EVP_MD* Sha256Md() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) std::abort();
    return m;
  }();
  return md;
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) std::abort();
  Reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Reset() {
  if (EVP_DigestInit_ex2(ctx_, Sha256Md(), nullptr) != 1) std::abort();
}

void Sha256::Update(const void* data, size_t size) {
  if (EVP_DigestUpdate(ctx_, data, size) != 1) std::abort();
}

Digest Sha256::Finish() {
  Digest out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 || len != out.size()) std::abort();
  Reset();
  return out;
}

Digest Sha256Of(absl::string_view data) {
  Digest out;
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, Sha256Md(), nullptr) != 1) std::abort();
  return out;
}

std::string ToHex(const uint8_t* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 15];
  }
  return out;
}

}  // namespace paraat
