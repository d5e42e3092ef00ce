#include "common/checkpoint.h"

#include <sys/stat.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "common/base64.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

using ::paraat::testing::ReadFileOrDie;
using ::paraat::testing::RunCommand;
using ::paraat::testing::TempDir;
using ::paraat::testing::WriteFileOrDie;
using ::testing::HasSubstr;

Checkpoint Example() {
  Checkpoint c;
  c.origin = "paraat.example/evidence";
  c.tree_size = 1234;
  for (size_t i = 0; i < c.root.size(); ++i) c.root[i] = static_cast<uint8_t>(i);
  c.time = absl::FromUnixSeconds(1795860000);  // 2026-11-28T10:00:00Z
  c.collector_id = "collector-a";
  c.key_id = "3fa2c4d5e6f70812";
  return c;
}

constexpr absl::string_view kExampleBody =
    "paraat.example/evidence\n"
    "1234\n"
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    "time 2026-11-28T10:00:00Z\n"
    "collector collector-a\n"
    "key 3fa2c4d5e6f70812\n";

int Mode(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? int(st.st_mode & 07777) : -1;
}

TEST(CheckpointBody, IsTheCanonicalTextAndParsesBack) {
  EXPECT_EQ(CheckpointBody(Example()), kExampleBody);
  auto parsed = ParseCheckpointBody(kExampleBody);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, Example());
}

TEST(CheckpointBody, RejectsEveryOtherForm) {
  const std::string body(kExampleBody);
  auto rejects = [](const std::string& text, absl::string_view why) {
    auto r = ParseCheckpointBody(text);
    EXPECT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(why)) << text;
  };
  rejects(body.substr(0, body.size() - 1), "newline");
  rejects(body + "extra\n", "7 lines");
  rejects(absl::StrReplaceAll(body, {{"\n1234\n", "\n01234\n"}}), "line 2");
  rejects(absl::StrReplaceAll(body, {{"\n1234\n", "\n-1\n"}}), "line 2");
  rejects(absl::StrReplaceAll(body, {{"\n1234\n", "\n99999999999999999999\n"}}), "line 2");
  rejects(absl::StrReplaceAll(body, {{"Hh8=", "Hh8"}}), "line 3");
  rejects(absl::StrReplaceAll(body, {{"Hh8=", "Hh9="}}), "line 3");  // non-canonical padding bits
  rejects(absl::StrReplaceAll(body, {{"10:00:00Z", "10:00:00.5Z"}}), "line 4");
  rejects(absl::StrReplaceAll(body, {{"10:00:00Z", "10:00:00+01:00"}}), "line 4");
  rejects(absl::StrReplaceAll(body, {{"time ", "time  "}}), "line 4");
  rejects(absl::StrReplaceAll(body, {{"collector ", "collecter "}}), "line 5");
  rejects(absl::StrReplaceAll(body, {{"key 3fa2", "key 3FA2"}}), "key id");
  rejects(absl::StrReplaceAll(body, {{"key 3fa2c4d5e6f70812", "key 3fa2"}}), "key id");
  rejects(absl::StrReplaceAll(body, {{"paraat.example/evidence", "paraat example"}}), "line 1");
  rejects(absl::StrReplaceAll(body, {{"\n", "\r\n"}}), "");
  rejects(std::string(3000, 'a') + "\n", "longer than 2048");
  rejects("", "newline");
}

TEST(SigningKey, IsCreatedPrivateWithItsPublicKeyBeside) {
  TempDir dir;
  const std::string path = dir / "collector.key";
  bool created = false;
  auto key = SigningKey::LoadOrCreate(path, &created);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_TRUE(created);
  EXPECT_EQ(Mode(path), 0600);
  EXPECT_EQ(Mode(path + ".pub"), 0644);
  EXPECT_TRUE(absl::StartsWith(ReadFileOrDie(path), "-----BEGIN PRIVATE KEY-----\n"));
  EXPECT_TRUE(absl::StartsWith(ReadFileOrDie(path + ".pub"), "-----BEGIN PUBLIC KEY-----\n"));
  EXPECT_EQ(key->key_id().size(), 16u);

  // The documented way to compute the key id with openssl alone.
  auto r = RunCommand(
      {"sh", "-c", "openssl pkey -pubin -in \"$1\" -outform DER | openssl dgst -sha256 -r", "sh", path + ".pub"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.substr(0, 16), key->key_id());
  // openssl reads the key file as PKCS#8.
  r = RunCommand({"openssl", "pkey", "-in", path, "-noout", "-text"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ED25519 Private-Key"));

  // The second start loads the same key and leaves the files alone.
  auto again = SigningKey::LoadOrCreate(path, &created);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(created);
  EXPECT_EQ(again->key_id(), key->key_id());
  auto pub = PublicKey::FromFile(path + ".pub");
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->key_id(), key->key_id());
}

TEST(SigningKey, RefusesAKeyOthersMayRead) {
  TempDir dir;
  const std::string path = dir / "collector.key";
  ASSERT_TRUE(SigningKey::LoadOrCreate(path).ok());
  for (int mode : {0644, 0640, 0604, 0660}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    auto key = SigningKey::Load(path);
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.status().code(), absl::StatusCode::kFailedPrecondition);
    char want[16];
    std::snprintf(want, sizeof want, "mode %04o", mode);
    EXPECT_THAT(std::string(key.status().message()), HasSubstr(path + ": signing key has " + want));
    EXPECT_THAT(std::string(key.status().message()), HasSubstr("chmod 600"));
    EXPECT_FALSE(SigningKey::LoadOrCreate(path).ok()) << "LoadOrCreate must not replace it either";
  }
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(SigningKey::Load(path).ok());
}

TEST(SigningKey, ExplainsUnusableKeyFiles) {
  TempDir dir;
  auto load = [&](const std::string& name) {
    ::chmod((dir / name).c_str(), 0600);
    return SigningKey::Load(dir / name).status();
  };
  WriteFileOrDie(dir / "garbage.key", "not a key\n");
  EXPECT_THAT(std::string(load("garbage.key").message()), HasSubstr("not an unencrypted PEM private key"));
  ASSERT_EQ(RunCommand({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                        dir / "ec.key"})
                .exit_code,
            0);
  EXPECT_THAT(std::string(load("ec.key").message()), HasSubstr("a EC key; the signing key must be Ed25519"));
  ASSERT_EQ(RunCommand({"openssl", "genpkey", "-algorithm", "ed25519", "-aes-128-cbc", "-pass", "pass:secret", "-out",
                        dir / "encrypted.key"})
                .exit_code,
            0);
  EXPECT_THAT(std::string(load("encrypted.key").message()), HasSubstr("not an unencrypted PEM private key"));
  EXPECT_EQ(SigningKey::Load(dir / "missing.key").status().code(), absl::StatusCode::kNotFound);
  ::mkdir((dir / "adir").c_str(), 0700);
  EXPECT_THAT(std::string(SigningKey::Load(dir / "adir").status().message()), HasSubstr("no regular file"));

  // A key made with openssl works, and its missing .pub is written.
  ASSERT_EQ(RunCommand({"openssl", "genpkey", "-algorithm", "ed25519", "-out", dir / "ok.key"}).exit_code, 0);
  ASSERT_TRUE(load("ok.key").ok());
  auto pub = PublicKey::FromFile(dir / "ok.key.pub");
  ASSERT_TRUE(pub.ok()) << pub.status();
  // A .pub that belongs to another key is an error, not silently replaced.
  ASSERT_EQ(RunCommand({"openssl", "genpkey", "-algorithm", "ed25519", "-out", dir / "other.key"}).exit_code, 0);
  ASSERT_TRUE(load("other.key").ok());
  WriteFileOrDie(dir / "ok.key.pub", ReadFileOrDie(dir / "other.key.pub"));
  EXPECT_THAT(std::string(load("ok.key").message()), HasSubstr("ok.key.pub holds another public key"));
}

TEST(SignedCheckpoint, VerifiesWithTrustedKeysOnly) {
  auto key = SigningKey::Generate();
  auto other = SigningKey::Generate();
  ASSERT_TRUE(key.ok() && other.ok());
  auto sc = SignCheckpoint(Example(), *key);
  ASSERT_TRUE(sc.ok()) << sc.status();
  EXPECT_EQ(sc->checkpoint.key_id, key->key_id());
  EXPECT_EQ(sc->signature.size(), 64u);
  TrustedKeys trusted;
  trusted.Add(key->public_key());
  auto c = VerifyCheckpoint(sc->body, sc->signature, trusted);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, sc->checkpoint);

  // An edited checkpoint, a damaged signature, a signature of another key.
  std::string edited = absl::StrReplaceAll(sc->body, {{"\n1234\n", "\n1233\n"}});
  EXPECT_EQ(VerifyCheckpoint(edited, sc->signature, trusted).status().code(), absl::StatusCode::kDataLoss);
  std::string sig = sc->signature;
  sig[10] ^= 1;
  EXPECT_EQ(VerifyCheckpoint(sc->body, sig, trusted).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(VerifyCheckpoint(sc->body, sc->signature.substr(1), trusted).ok());
  auto forged = SignCheckpoint(Example(), *other);
  auto r = VerifyCheckpoint(forged->body, forged->signature, trusted);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(
      std::string(r.status().message()),
      HasSubstr("signed by key " + other->key_id() + ", which is not among the trusted keys (" + key->key_id() + ")"));
  // Claiming the trusted key's id does not help the other key.
  std::string claimed = absl::StrReplaceAll(forged->body, {{other->key_id(), key->key_id()}});
  auto claimed_sig = other->Sign(claimed);
  EXPECT_EQ(VerifyCheckpoint(claimed, *claimed_sig, trusted).status().code(), absl::StatusCode::kDataLoss);
}

TEST(SignedCheckpoint, KeyRotationKeepsOldCheckpointsValid) {
  auto old_key = SigningKey::Generate();
  auto new_key = SigningKey::Generate();
  auto old_cp = SignCheckpoint(Example(), *old_key);
  Checkpoint later = Example();
  later.tree_size = 2000;
  auto new_cp = SignCheckpoint(later, *new_key);
  TrustedKeys both;
  both.Add(old_key->public_key());
  both.Add(new_key->public_key());
  EXPECT_TRUE(VerifyCheckpoint(old_cp->body, old_cp->signature, both).ok());
  EXPECT_TRUE(VerifyCheckpoint(new_cp->body, new_cp->signature, both).ok());
  TrustedKeys only_new;
  only_new.Add(new_key->public_key());
  EXPECT_FALSE(VerifyCheckpoint(old_cp->body, old_cp->signature, only_new).ok());

  // Both public keys in one file, as an auditor keeps them.
  TempDir dir;
  WriteFileOrDie(dir / "trusted.pem", old_key->public_key().Pem() + new_key->public_key().Pem());
  TrustedKeys from_file;
  ASSERT_TRUE(from_file.AddFile(dir / "trusted.pem").ok());
  EXPECT_EQ(from_file.KeyIds().size(), 2u);
  EXPECT_TRUE(VerifyCheckpoint(old_cp->body, old_cp->signature, from_file).ok());
  WriteFileOrDie(dir / "empty.pem", "nothing\n");
  EXPECT_FALSE(from_file.AddFile(dir / "empty.pem").ok());
}

// What the auditor does (docs/evidence-format.md): the checkpoint text and the raw signature
// in two files, checked by openssl alone; and the other way round, openssl's signature checked
// by us.
TEST(SignedCheckpoint, OpensslAloneVerifiesIt) {
  TempDir dir;
  auto key = SigningKey::LoadOrCreate(dir / "collector.key");
  ASSERT_TRUE(key.ok()) << key.status();
  auto sc = SignCheckpoint(Example(), *key);
  WriteFileOrDie(dir / "checkpoint.txt", sc->body);
  WriteFileOrDie(dir / "checkpoint.sig", sc->signature);
  auto r = RunCommand({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", dir / "collector.key.pub", "-rawin", "-in",
                       dir / "checkpoint.txt", "-sigfile", dir / "checkpoint.sig"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Signature Verified Successfully"));
  // Base64 in the export, as the auditor decodes it.
  WriteFileOrDie(dir / "checkpoint.sig.b64", Base64Encode(sc->signature) + "\n");
  r = RunCommand({"sh", "-c", "base64 -d \"$1.b64\" > \"$1\"", "sh", dir / "checkpoint.sig"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  WriteFileOrDie(dir / "checkpoint.txt", absl::StrReplaceAll(sc->body, {{"\n1234\n", "\n1235\n"}}));
  r = RunCommand({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", dir / "collector.key.pub", "-rawin", "-in",
                  dir / "checkpoint.txt", "-sigfile", dir / "checkpoint.sig"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("Signature Verification Failure"));

  WriteFileOrDie(dir / "checkpoint.txt", sc->body);
  r = RunCommand({"openssl", "pkeyutl", "-sign", "-inkey", dir / "collector.key", "-rawin", "-in",
                  dir / "checkpoint.txt", "-out", dir / "openssl.sig"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadFileOrDie(dir / "openssl.sig"), sc->signature);  // Ed25519 is deterministic
}

// A signed note from outside Paraat: the example in the Go note package's documentation
// (golang.org/x/mod/sumdb/note), key "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW".
TEST(SignedNote, KnownAnswerFromTheGoNotePackage) {
  std::string der = absl::HexStringToBytes("302a300506032b6570032100"), raw;
  ASSERT_TRUE(Base64Decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &raw));
  der += raw.substr(1);
  auto key = PublicKey::FromPem("-----BEGIN PUBLIC KEY-----\n" + Base64Encode(der) + "\n-----END PUBLIC KEY-----\n");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(NoteKeyHash("PeterNeumann", *key), 0xc74f20a3u);
  std::string sig;
  ASSERT_TRUE(Base64Decode(
      "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=", &sig));
  const std::string text =
      "If you think cryptography is the answer to your problem,\n"
      "then you don't know what your problem is.\n";
  EXPECT_TRUE(key->Verify(text, sig.substr(4)).ok());
  EXPECT_FALSE(key->Verify(text + " ", sig.substr(4)).ok());
}

TEST(SignedNote, RoundTripsAndBindsTheKey) {
  auto key = SigningKey::Generate();
  auto sc = SignCheckpoint(Example(), *key);
  const std::string note = FormatSignedNote(*sc, key->public_key());
  EXPECT_TRUE(absl::StartsWith(note, std::string(sc->body) + "\n\xe2\x80\x94 paraat.example/evidence "));
  TrustedKeys trusted;
  trusted.Add(key->public_key());
  auto back = VerifySignedNote(note, trusted);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->body, sc->body);
  EXPECT_EQ(back->signature, sc->signature);
  EXPECT_FALSE(
      VerifySignedNote(
          absl::StrReplaceAll(note, {{"\xe2\x80\x94 paraat.example/evidence ", "\xe2\x80\x94 someone.else "}}), trusted)
          .ok());
  EXPECT_FALSE(VerifySignedNote(sc->body, trusted).ok());
  EXPECT_FALSE(VerifySignedNote(note + "more\n", trusted).ok());
}

}  // namespace
}  // namespace paraat
