// Signed checkpoints: the collector's Ed25519 signature over its Merkle tree head.
//
// A checkpoint's signed bytes are a C2SP tlog-checkpoint note text (c2sp.org/tlog-checkpoint),
// six lines, each ending in a newline:
//
//   paraat.example/evidence                         origin: the tree's identity
//   1234                                            tree size, decimal
//   QUJDRE...=                                      root hash, base64 (32 bytes)
//   time 2026-11-29T10:00:00Z                       when it was signed (UTC, whole seconds)
//   collector collector-a                           which collector signed it
//   key 3fa2c4d5e6f70812                            key id of the signing key
//
// The signature is plain Ed25519 (RFC 8032) over exactly those bytes, 64 bytes, so an auditor
// can check it with OpenSSL alone:
//   openssl pkeyutl -verify -pubin -inkey collector.pub -rawin -in checkpoint.txt -sigfile checkpoint.sig
// It is also a valid C2SP signed note (FormatSignedNote), for tools that speak that format.
//
// Key id: the first 8 bytes of SHA-256 over the public key's DER SubjectPublicKeyInfo, in
// lowercase hex (16 characters) — what
//   openssl pkey -pubin -in collector.pub -outform DER | openssl dgst -sha256
// prints, cut to its first 16 hex digits. Verification looks the checkpoint's key id up in a
// set of trusted public keys, so keys can be rotated: old keys stay trusted for what they signed.
//
// Errors: parsers return InvalidArgument naming the line and what is wrong; key files
// FailedPrecondition (group/other permissions, wrong key type) or the file's errno status;
// signature verification DataLoss ("signature does not verify") or NotFound (unknown key id).
// Thread-safety: SigningKey and PublicKey are immutable after loading and may be shared.
#ifndef PARAAT_COMMON_CHECKPOINT_H_
#define PARAAT_COMMON_CHECKPOINT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sha256.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace paraat {

// Limits on a checkpoint's text fields: printable ASCII without spaces or '+' (the C2SP key
// name rules), at most this long.
inline constexpr size_t kMaxCheckpointField = 255;

struct Checkpoint {
  std::string origin;
  uint64_t tree_size = 0;
  Digest root{};
  absl::Time time;  // whole seconds
  std::string collector_id;
  std::string key_id;
  bool operator==(const Checkpoint& o) const = default;
};

// The canonical note text. Requires valid fields (ValidateCheckpoint).
std::string CheckpointBody(const Checkpoint& c);
[[nodiscard]] absl::Status ValidateCheckpoint(const Checkpoint& c);
// Parses a note text, accepting only the canonical form CheckpointBody writes.
[[nodiscard]] absl::StatusOr<Checkpoint> ParseCheckpointBody(absl::string_view body);

class PublicKey {
 public:
  // SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----"), Ed25519 only.
  [[nodiscard]] static absl::StatusOr<PublicKey> FromPem(absl::string_view pem);
  [[nodiscard]] static absl::StatusOr<PublicKey> FromFile(const std::string& path);
  const std::string& key_id() const { return key_id_; }
  const std::string& raw() const { return raw_; }  // the 32-byte RFC 8032 encoding
  std::string Pem() const;
  // OK, or DataLoss when `signature` is not this key's Ed25519 signature over `message`.
  [[nodiscard]] absl::Status Verify(absl::string_view message, absl::string_view signature) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  std::string key_id_, raw_;
};

class SigningKey {
 public:
  // Loads the PKCS#8 PEM private key at `path`. Refuses a file that group or others may read
  // or write, or that is no regular file. `path`.pub (SubjectPublicKeyInfo PEM) is written when
  // missing and must match the key when present.
  [[nodiscard]] static absl::StatusOr<SigningKey> Load(const std::string& path);
  // As Load; when `path` does not exist, generates a key there (mode 0600, created atomically:
  // no partial file on a crash, no overwrite of a key another process just made) and writes
  // `path`.pub (0644). *created says which happened.
  [[nodiscard]] static absl::StatusOr<SigningKey> LoadOrCreate(const std::string& path, bool* created = nullptr);
  // A fresh key in memory only.
  [[nodiscard]] static absl::StatusOr<SigningKey> Generate();

  const PublicKey& public_key() const { return public_; }
  const std::string& key_id() const { return public_.key_id(); }
  std::string PrivatePem() const;  // PKCS#8
  // The 64-byte Ed25519 signature.
  [[nodiscard]] absl::StatusOr<std::string> Sign(absl::string_view message) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  PublicKey public_;
};

// Public keys an auditor trusts, by key id.
class TrustedKeys {
 public:
  void Add(PublicKey key) { keys_.insert_or_assign(key.key_id(), std::move(key)); }
  // Every PEM public key in the file (one or several concatenated).
  [[nodiscard]] absl::Status AddFile(const std::string& path);
  const PublicKey* Find(absl::string_view key_id) const;
  std::vector<std::string> KeyIds() const;
  bool empty() const { return keys_.empty(); }

 private:
  std::map<std::string, PublicKey, std::less<>> keys_;
};

struct SignedCheckpoint {
  Checkpoint checkpoint;
  std::string body;       // the signed bytes, CheckpointBody(checkpoint)
  std::string signature;  // 64 bytes
};

// Fills in the key id from `key` and signs.
[[nodiscard]] absl::StatusOr<SignedCheckpoint> SignCheckpoint(Checkpoint c, const SigningKey& key);
// Parses `body`, finds its key id among `keys` and checks `signature` (64 raw bytes) over it.
[[nodiscard]] absl::StatusOr<Checkpoint> VerifyCheckpoint(absl::string_view body, absl::string_view signature,
                                                          const TrustedKeys& keys);

// C2SP signed note: body, an empty line, "— <origin> base64(key hash || signature)\n", the key
// hash being SHA-256(origin || 0x0A || 0x01 || raw public key)[:4].
std::string FormatSignedNote(const SignedCheckpoint& sc, const PublicKey& key);
// Splits a signed note written by FormatSignedNote into body and signature, checking the
// signature line's key name and key hash against the body and `keys`, and verifies it.
[[nodiscard]] absl::StatusOr<SignedCheckpoint> VerifySignedNote(absl::string_view note, const TrustedKeys& keys);
uint32_t NoteKeyHash(absl::string_view key_name, const PublicKey& key);

}  // namespace paraat

#endif  // PARAAT_COMMON_CHECKPOINT_H_
