#include "common/checkpoint.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base64.h"
#include "common/fs.h"
#include "common/merkle.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace paraat {
namespace {

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* k) { return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free); }

// The most recent OpenSSL error, for messages ("" when its queue is empty). Clears the queue.
std::string OpenSslError() {
  unsigned long err = 0, last = 0;
  while ((err = ERR_get_error()) != 0) last = err;
  if (last == 0) return "";
  char buf[256];
  ERR_error_string_n(last, buf, sizeof buf);
  return buf;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

// Refuses to prompt for a pass phrase: the collector runs unattended, and an encrypted key
// is a configuration error to report, not a terminal read.
int NoPassphrase(char*, int, int, void*) { return -1; }

bool ValidField(absl::string_view s) {
  if (s.empty() || s.size() > kMaxCheckpointField) return false;
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7f || c == '+') return false;
  }
  return true;
}

absl::Status CheckRegularPrivateFile(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus(errno, absl::StrCat("stat ", path));
  if (!S_ISREG(st.st_mode))
    return absl::FailedPreconditionError(absl::StrCat(path, ": signing key is no regular file"));
  if (st.st_mode & 077) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: signing key has mode %04o, so group or others may read it; chmod 600 %s", path, st.st_mode & 07777, path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadPrivateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open signing key ", path));
  absl::Status st = CheckRegularPrivateFile(fd, path);
  std::string out;
  char buf[4096];
  while (st.ok()) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) st = ErrnoStatus(errno, absl::StrCat("read ", path));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > 64 * 1024) st = absl::FailedPreconditionError(absl::StrCat(path, ": too large for a key"));
  }
  ::close(fd);
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> ParsePrivatePem(absl::string_view pem, const std::string& what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr);
  if (k == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": not an unencrypted PEM private key (", OpenSslError(),
                                                      "); make one with: openssl genpkey -algorithm ed25519"));
  }
  auto key = Own(k);
  if (!EVP_PKEY_is_a(k, "ED25519")) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": a ", EVP_PKEY_get0_type_name(k), " key; the signing key must be Ed25519"));
  }
  return key;
}

// Writes a new key file without ever leaving a partial one or replacing another: a temporary
// file, fsynced, then link(2), which fails when `path` appeared meanwhile.
absl::Status CreatePrivateFile(const std::string& path, absl::string_view pem) {
  const std::string tmp = absl::StrCat(path, ".new.", ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", tmp));
  absl::Status st;
  if (::fchmod(fd, 0600) != 0) st = ErrnoStatus(errno, absl::StrCat("chmod ", tmp));
  size_t off = 0;
  while (st.ok() && off < pem.size()) {
    const ssize_t n = ::write(fd, pem.data() + off, pem.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) st = ErrnoStatus(errno, absl::StrCat("write ", tmp));
    off += n > 0 ? static_cast<size_t>(n) : 0;
  }
  if (st.ok() && ::fsync(fd) != 0) st = ErrnoStatus(errno, absl::StrCat("fsync ", tmp));
  ::close(fd);
  if (st.ok() && ::link(tmp.c_str(), path.c_str()) != 0) st = ErrnoStatus(errno, absl::StrCat("create ", path));
  ::unlink(tmp.c_str());
  if (!st.ok()) return st;
  const size_t slash = path.rfind('/');
  return FsyncDir(slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash)));
}

// `path`.pub: written when missing, checked when present.
absl::Status EnsurePublicFile(const std::string& path, const PublicKey& key) {
  const std::string pub = path + ".pub";
  if (::access(pub.c_str(), F_OK) == 0) {
    PARAAT_ASSIGN_OR_RETURN(PublicKey there, PublicKey::FromFile(pub));
    if (there.key_id() != key.key_id()) {
      return absl::FailedPreconditionError(absl::StrCat(pub, " holds another public key (key id ", there.key_id(),
                                                        ") than ", path, " (key id ", key.key_id(), ")"));
    }
    return absl::OkStatus();
  }
  PARAAT_RETURN_IF_ERROR(WriteFileAtomic(pub, key.Pem()));
  if (::chmod(pub.c_str(), 0644) != 0) return ErrnoStatus(errno, absl::StrCat("chmod ", pub));
  return absl::OkStatus();
}

absl::Status LineError(int line, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("checkpoint line ", line, ": ", problem));
}

}  // namespace

std::string CheckpointBody(const Checkpoint& c) {
  return absl::StrCat(c.origin, "\n", c.tree_size, "\n", Base64Encode(DigestBytes(c.root)), "\ntime ",
                      FormatTimeUtc(c.time), "\ncollector ", c.collector_id, "\nkey ", c.key_id, "\n");
}

absl::Status ValidateCheckpoint(const Checkpoint& c) {
  if (!ValidField(c.origin)) return absl::InvalidArgumentError("checkpoint origin must be 1-255 printable characters");
  if (!ValidField(c.collector_id)) {
    return absl::InvalidArgumentError("collector id must be 1-255 printable characters without spaces or '+'");
  }
  if (c.tree_size > kMaxTreeSize) return absl::InvalidArgumentError("checkpoint tree size too large");
  if (c.time != absl::FromUnixSeconds(absl::ToUnixSeconds(c.time))) {
    return absl::InvalidArgumentError("checkpoint time must be whole seconds");
  }
  if (c.key_id.size() != 16 ||
      !std::all_of(c.key_id.begin(), c.key_id.end(), [](char ch) { return absl::ascii_isxdigit(ch); }) ||
      absl::AsciiStrToLower(c.key_id) != c.key_id) {
    return absl::InvalidArgumentError("key id must be 16 lowercase hex digits");
  }
  return absl::OkStatus();
}

absl::StatusOr<Checkpoint> ParseCheckpointBody(absl::string_view body) {
  if (body.size() > 2048) return absl::InvalidArgumentError("checkpoint longer than 2048 bytes");
  if (body.empty() || body.back() != '\n') return absl::InvalidArgumentError("checkpoint must end in a newline");
  std::vector<absl::string_view> lines = absl::StrSplit(body.substr(0, body.size() - 1), '\n');
  if (lines.size() != 6)
    return absl::InvalidArgumentError(absl::StrCat("checkpoint has ", lines.size(), " lines, not 6"));
  Checkpoint c;
  c.origin = std::string(lines[0]);
  if (!ValidField(c.origin)) return LineError(1, "origin must be 1-255 printable characters without spaces or '+'");
  if (!absl::SimpleAtoi(lines[1], &c.tree_size) || absl::StrCat(c.tree_size) != lines[1]) {
    return LineError(2, "tree size must be a decimal number without leading zeros");
  }
  if (!Base64DecodeTo(lines[2], c.root.data(), c.root.size()))
    return LineError(3, "root hash must be 32 bytes in base64");
  auto field = [&](int i, absl::string_view name) -> absl::StatusOr<absl::string_view> {
    absl::string_view l = lines[i];
    if (!absl::ConsumePrefix(&l, name) || !absl::ConsumePrefix(&l, " ")) {
      return LineError(i + 1, absl::StrCat("expected \"", name, " ...\""));
    }
    return l;
  };
  PARAAT_ASSIGN_OR_RETURN(absl::string_view time, field(3, "time"));
  std::string err;
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone(), &c.time, &err) ||
      FormatTimeUtc(c.time) != time) {
    return LineError(4, "time must be UTC in the form 2026-11-29T10:00:00Z");
  }
  PARAAT_ASSIGN_OR_RETURN(absl::string_view collector, field(4, "collector"));
  c.collector_id = std::string(collector);
  PARAAT_ASSIGN_OR_RETURN(absl::string_view key, field(5, "key"));
  c.key_id = std::string(key);
  PARAAT_RETURN_IF_ERROR(ValidateCheckpoint(c));
  if (CheckpointBody(c) != body) return absl::InvalidArgumentError("checkpoint is not in canonical form");
  return c;
}

absl::StatusOr<PublicKey> PublicKey::FromPem(absl::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* k = PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr);
  if (k == nullptr) return absl::InvalidArgumentError(absl::StrCat("not a PEM public key (", OpenSslError(), ")"));
  PublicKey pk;
  pk.key_ = Own(k);
  if (!EVP_PKEY_is_a(k, "ED25519")) {
    return absl::InvalidArgumentError(absl::StrCat("a ", EVP_PKEY_get0_type_name(k), " key, not Ed25519"));
  }
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(k, raw, &len) != 1 || len != 32) {
    return absl::InternalError("cannot read the raw Ed25519 public key");
  }
  pk.raw_.assign(reinterpret_cast<char*>(raw), len);
  unsigned char* der = nullptr;
  const int der_len = i2d_PUBKEY(k, &der);
  if (der_len <= 0) return absl::InternalError("cannot encode the public key");
  const Digest d = Sha256Of(absl::string_view(reinterpret_cast<char*>(der), static_cast<size_t>(der_len)));
  OPENSSL_free(der);
  pk.key_id_ = ToHex(d.data(), 8);
  return pk;
}

absl::StatusOr<PublicKey> PublicKey::FromFile(const std::string& path) {
  PARAAT_ASSIGN_OR_RETURN(std::string pem, ReadFile(path));
  auto key = FromPem(pem);
  if (!key.ok()) return absl::Status(key.status().code(), absl::StrCat(path, ": ", key.status().message()));
  return key;
}

std::string PublicKey::Pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key_.get());
  return BioContents(bio.get());
}

absl::Status PublicKey::Verify(absl::string_view message, absl::string_view signature) const {
  if (signature.size() != 64) {
    return absl::DataLossError(absl::StrCat("signature is ", signature.size(), " bytes, an Ed25519 one 64"));
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key_.get(), nullptr) != 1) {
    return absl::InternalError(absl::StrCat("Ed25519 verify init: ", OpenSslError()));
  }
  const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                  reinterpret_cast<const unsigned char*>(message.data()), message.size());
  OpenSslError();  // a failed verification leaves an error queued
  if (rc != 1) return absl::DataLossError(absl::StrCat("signature does not verify with key ", key_id_));
  return absl::OkStatus();
}

absl::StatusOr<SigningKey> SigningKey::Generate() {
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (k == nullptr) return absl::InternalError(absl::StrCat("Ed25519 key generation: ", OpenSslError()));
  SigningKey sk;
  sk.key_ = Own(k);
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), k);
  PARAAT_ASSIGN_OR_RETURN(sk.public_, PublicKey::FromPem(BioContents(bio.get())));
  return sk;
}

absl::StatusOr<SigningKey> SigningKey::Load(const std::string& path) {
  PARAAT_ASSIGN_OR_RETURN(std::string pem, ReadPrivateFile(path));
  SigningKey sk;
  PARAAT_ASSIGN_OR_RETURN(sk.key_, ParsePrivatePem(pem, path));
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), sk.key_.get());
  PARAAT_ASSIGN_OR_RETURN(sk.public_, PublicKey::FromPem(BioContents(bio.get())));
  PARAAT_RETURN_IF_ERROR(EnsurePublicFile(path, sk.public_));
  return sk;
}

absl::StatusOr<SigningKey> SigningKey::LoadOrCreate(const std::string& path, bool* created) {
  if (created != nullptr) *created = false;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) {
    PARAAT_ASSIGN_OR_RETURN(SigningKey sk, Generate());
    absl::Status written = CreatePrivateFile(path, sk.PrivatePem());
    if (written.ok()) {
      if (created != nullptr) *created = true;
    } else if (!absl::IsInternal(written) || ::access(path.c_str(), F_OK) != 0) {
      return written;  // else another process created it first: load that one
    }
  }
  return Load(path);
}

std::string SigningKey::PrivatePem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return BioContents(bio.get());
}

absl::StatusOr<std::string> SigningKey::Sign(absl::string_view message) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char sig[64];
  size_t len = sizeof sig;
  if (EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key_.get(), nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(message.data()), message.size()) !=
          1 ||
      len != sizeof sig) {
    return absl::InternalError(absl::StrCat("Ed25519 signing: ", OpenSslError()));
  }
  return std::string(reinterpret_cast<char*>(sig), len);
}

absl::Status TrustedKeys::AddFile(const std::string& path) {
  PARAAT_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  static const std::string kBegin = "-----BEGIN PUBLIC KEY-----";
  static const std::string kEnd = "-----END PUBLIC KEY-----";
  int found = 0;
  for (size_t at = text.find(kBegin); at != std::string::npos; at = text.find(kBegin, at + 1)) {
    const size_t end = text.find(kEnd, at);
    if (end == std::string::npos) break;
    auto key = PublicKey::FromPem(absl::string_view(text).substr(at, end + kEnd.size() - at));
    if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", key.status().message()));
    Add(*std::move(key));
    ++found;
  }
  if (found == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": no PEM public key in it"));
  return absl::OkStatus();
}

const PublicKey* TrustedKeys::Find(absl::string_view key_id) const {
  auto it = keys_.find(key_id);
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<std::string> TrustedKeys::KeyIds() const {
  std::vector<std::string> out;
  for (const auto& [id, key] : keys_) out.push_back(id);
  return out;
}

absl::StatusOr<SignedCheckpoint> SignCheckpoint(Checkpoint c, const SigningKey& key) {
  c.key_id = key.key_id();
  PARAAT_RETURN_IF_ERROR(ValidateCheckpoint(c));
  SignedCheckpoint sc;
  sc.body = CheckpointBody(c);
  sc.checkpoint = std::move(c);
  PARAAT_ASSIGN_OR_RETURN(sc.signature, key.Sign(sc.body));
  return sc;
}

absl::StatusOr<Checkpoint> VerifyCheckpoint(absl::string_view body, absl::string_view signature,
                                            const TrustedKeys& keys) {
  PARAAT_ASSIGN_OR_RETURN(Checkpoint c, ParseCheckpointBody(body));
  const PublicKey* key = keys.Find(c.key_id);
  if (key == nullptr) {
    return absl::NotFoundError(absl::StrCat("checkpoint is signed by key ", c.key_id,
                                            ", which is not among the trusted keys (",
                                            absl::StrJoin(keys.KeyIds(), ", "), ")"));
  }
  absl::Status st = key->Verify(body, signature);
  if (!st.ok()) return absl::DataLossError(absl::StrCat("checkpoint ", st.message()));
  return c;
}

uint32_t NoteKeyHash(absl::string_view key_name, const PublicKey& key) {
  const Digest d = Sha256Of(absl::StrCat(key_name, "\n\x01", key.raw()));
  return (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | d[3];
}

std::string FormatSignedNote(const SignedCheckpoint& sc, const PublicKey& key) {
  const uint32_t h = NoteKeyHash(sc.checkpoint.origin, key);
  std::string blob = {char(h >> 24), char(h >> 16), char(h >> 8), char(h)};
  blob += sc.signature;
  return absl::StrCat(sc.body, "\n\xe2\x80\x94 ", sc.checkpoint.origin, " ", Base64Encode(blob), "\n");
}

absl::StatusOr<SignedCheckpoint> VerifySignedNote(absl::string_view note, const TrustedKeys& keys) {
  if (note.size() > 4096) return absl::InvalidArgumentError("signed note longer than 4096 bytes");
  const size_t split = note.rfind("\n\n");
  if (split == absl::string_view::npos) return absl::InvalidArgumentError("signed note has no signature");
  SignedCheckpoint sc;
  sc.body = std::string(note.substr(0, split + 1));
  absl::string_view line = note.substr(split + 2);
  if (!absl::ConsumePrefix(&line, "\xe2\x80\x94 ") || !absl::ConsumeSuffix(&line, "\n") ||
      line.find('\n') != absl::string_view::npos) {
    return absl::InvalidArgumentError("signed note: expected one signature line \"\xe2\x80\x94 <name> <signature>\"");
  }
  const size_t space = line.find(' ');
  std::string blob;
  if (space == absl::string_view::npos || !Base64Decode(line.substr(space + 1), &blob) || blob.size() != 68) {
    return absl::InvalidArgumentError("signed note: the signature is not base64 of a key hash and 64 bytes");
  }
  PARAAT_ASSIGN_OR_RETURN(sc.checkpoint, VerifyCheckpoint(sc.body, blob.substr(4), keys));
  const uint32_t h = (uint32_t(uint8_t(blob[0])) << 24) | (uint32_t(uint8_t(blob[1])) << 16) |
                     (uint32_t(uint8_t(blob[2])) << 8) | uint8_t(blob[3]);
  if (line.substr(0, space) != sc.checkpoint.origin ||
      h != NoteKeyHash(sc.checkpoint.origin, *keys.Find(sc.checkpoint.key_id))) {
    return absl::DataLossError("signed note: the signature line names another key than the checkpoint");
  }
  sc.signature = blob.substr(4);
  return sc;
}

}  // namespace paraat
