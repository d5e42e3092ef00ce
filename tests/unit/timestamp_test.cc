// RFC 3161 against a real TSA: `openssl ts -reply` behind a small HTTP responder on loopback,
// with a CA and a time-stamping certificate made by the openssl command line. Needs only
// openssl, so it runs with the unit tests (about a second).
#include "common/timestamp.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/checkpoint.h"
#include "common/evidence_format.h"
#include "common/merkle.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"
#include "tests/testlib/tsa.h"

namespace paraat {
namespace {

using ::paraat::testing::FreePort;
using ::paraat::testing::ReadFileOrDie;
using ::paraat::testing::RunCommand;
using ::paraat::testing::TempDir;
using ::paraat::testing::WriteFileOrDie;
using ::testing::HasSubstr;

using ::paraat::testing::FakeTsa;
using ::paraat::testing::MakeTsaFiles;
using ::paraat::testing::Openssl;

class TimestampTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    MakeTsaFiles(dir_->path());
    tsa_ = new FakeTsa(dir_->path());
  }
  static void TearDownTestSuite() {
    delete tsa_;
    delete dir_;
  }
  void SetUp() override { tsa_->set_mode(FakeTsa::Mode::kReply); }
  TimestampOptions Options(const std::string& ca = "ca.pem") const {
    return TimestampOptions{tsa_->url(), *dir_ / ca, absl::Seconds(5)};
  }
  static TempDir* dir_;
  static FakeTsa* tsa_;
};
TempDir* TimestampTest::dir_ = nullptr;
FakeTsa* TimestampTest::tsa_ = nullptr;

const char kCheckpoint[] = "paraat.example/evidence\n42\nAAAA\ntime 2026-11-28T10:00:00Z\n";

TEST_F(TimestampTest, RealTsaTokenVerifiesHereAndWithOpensslTs) {
  const absl::Time before = absl::Now();
  auto ts = RequestTimestamp(kCheckpoint, Options());
  ASSERT_TRUE(ts.ok()) << ts.status();
  EXPECT_EQ(tsa_->content_type(), "application/timestamp-query");
  EXPECT_GE(ts->gen_time, absl::FromUnixSeconds(absl::ToUnixSeconds(before)) - absl::Seconds(1));
  EXPECT_LE(ts->gen_time, absl::Now() + absl::Seconds(1));

  auto again = VerifyTimestampToken(ts->token, kCheckpoint, *dir_ / "ca.pem");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, ts->gen_time);

  // The auditor's check with openssl alone, on the token as stored.
  WriteFileOrDie(*dir_ / "checkpoint.txt", kCheckpoint);
  WriteFileOrDie(*dir_ / "checkpoint.tsr", ts->token);
  auto r = RunCommand({"openssl", "ts", "-verify", "-data", *dir_ / "checkpoint.txt", "-in", *dir_ / "checkpoint.tsr",
                       "-token_in", "-CAfile", *dir_ / "ca.pem"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Verification: OK"));
  r = RunCommand({"openssl", "ts", "-verify", "-data", *dir_ / "checkpoint.txt", "-in", *dir_ / "checkpoint.tsr",
                  "-token_in", "-CAfile", *dir_ / "other-ca.pem"});
  EXPECT_NE(r.exit_code, 0) << r.output;

  // The token is for these bytes only.
  auto other = VerifyTimestampToken(ts->token, std::string(kCheckpoint) + "x", *dir_ / "ca.pem");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(other.status().message()), HasSubstr("message imprint mismatch"));
  std::string damaged = ts->token;
  damaged[damaged.size() / 2] ^= 1;
  EXPECT_FALSE(VerifyTimestampToken(damaged, kCheckpoint, *dir_ / "ca.pem").ok());
  EXPECT_EQ(VerifyTimestampToken("garbage", kCheckpoint, *dir_ / "ca.pem").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(TimestampTest, TokenFromAnUntrustedCaIsRefused) {
  auto ts = RequestTimestamp(kCheckpoint, Options("other-ca.pem"));
  ASSERT_FALSE(ts.ok());
  EXPECT_EQ(ts.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(ts.status().message()), HasSubstr(tsa_->url()));
  EXPECT_THAT(std::string(ts.status().message()), HasSubstr("does not verify against " + *dir_ / "other-ca.pem"));
  EXPECT_THAT(std::string(ts.status().message()),
              HasSubstr("certificate verify error (Verify error:self-signed certificate in certificate chain)"));

  auto good = RequestTimestamp(kCheckpoint, Options());
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(VerifyTimestampToken(good->token, kCheckpoint, *dir_ / "other-ca.pem").status().code(),
            absl::StatusCode::kDataLoss);
  auto missing = VerifyTimestampToken(good->token, kCheckpoint, *dir_ / "no-such-ca.pem");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("no-such-ca.pem"));
}

TEST_F(TimestampTest, TsaThatIsDownOrSlowOrBroken) {
  TimestampOptions down = Options();
  down.url = absl::StrCat("http://127.0.0.1:", FreePort(), "/tsa");
  auto r = RequestTimestamp(kCheckpoint, down);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(down.url + " unreachable"));

  tsa_->set_mode(FakeTsa::Mode::kGarbage);
  r = RequestTimestamp(kCheckpoint, Options());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("the answer is not a TimeStampResp (44 bytes"));

  tsa_->set_mode(FakeTsa::Mode::kHttpError);
  r = RequestTimestamp(kCheckpoint, Options());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("answered HTTP 500"));

  tsa_->set_mode(FakeTsa::Mode::kRejectingConfig);
  r = RequestTimestamp(kCheckpoint, Options());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("refused: rejection, badAlg"));

  tsa_->set_mode(FakeTsa::Mode::kHang);
  TimestampOptions quick = Options();
  quick.timeout = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  r = RequestTimestamp(kCheckpoint, quick);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("did not answer within 300ms"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(TimestampTest, ReplayedAnswerIsRefused) {
  ASSERT_TRUE(RequestTimestamp(kCheckpoint, Options()).ok());
  // The TSA (or someone between) answers the next request with the previous token: valid
  // signature, same data even, but not the nonce we sent.
  tsa_->set_mode(FakeTsa::Mode::kReplay);
  auto r = RequestTimestamp(kCheckpoint, Options());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("nonce mismatch"));
}

// The auditor's commands of docs/evidence-format.md, run on a sidecar as the collector will
// write it: the checkpoint, its signature and its token extracted with jq and base64, checked
// by openssl alone; and the same export through ExportVerifier.
TEST_F(TimestampTest, AuditorCommandsOnASidecar) {
  auto key = SigningKey::LoadOrCreate(*dir_ / "collector.key");
  ASSERT_TRUE(key.ok()) << key.status();
  Checkpoint c;
  c.origin = "paraat.example/evidence";
  c.tree_size = 1;
  MerkleHasher h;
  c.root = h.HashLeaf("the only record");
  c.time = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  c.collector_id = "collector-a";
  auto sc = SignCheckpoint(c, *key);
  ASSERT_TRUE(sc.ok()) << sc.status();
  auto ts = RequestTimestamp(sc->body, Options());
  ASSERT_TRUE(ts.ok()) << ts.status();
  const ExportEvidence evidence{sc->body, sc->signature, key->key_id(), ts->token};
  {
    std::ofstream out(*dir_ / "export.csv.proof.jsonl");
    SidecarWriter w(out, evidence);
    w.Add(1, RecordProof{0, "the only record", {}});
  }
  const std::string script = R"(set -e
cd "$1"
head -n 1 export.csv.proof.jsonl | jq -j .checkpoint > checkpoint.txt
head -n 1 export.csv.proof.jsonl | jq -r .signature | base64 -d > checkpoint.sig
head -n 1 export.csv.proof.jsonl | jq -r .timestamp_token | base64 -d > checkpoint.tsr
openssl pkeyutl -verify -pubin -inkey collector.key.pub -rawin -in checkpoint.txt -sigfile checkpoint.sig
openssl ts -verify -data checkpoint.txt -in checkpoint.tsr -token_in -CAfile ca.pem
)";
  auto r = RunCommand({"sh", "-c", script, "sh", dir_->path()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Signature Verified Successfully"));
  EXPECT_THAT(r.output, HasSubstr("Verification: OK"));
  EXPECT_EQ(ReadFileOrDie(*dir_ / "checkpoint.txt"), sc->body);

  TrustedKeys trusted;
  ASSERT_TRUE(trusted.AddFile(*dir_ / "collector.key.pub").ok());
  std::ifstream in(*dir_ / "export.csv.proof.jsonl");
  auto reader = SidecarReader::Open(in);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto v = ExportVerifier::Create(reader->evidence(), {&trusted, *dir_ / "ca.pem"});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->timestamp(), ts->gen_time);
  uint64_t seq = 0;
  RecordProof proof;
  ASSERT_TRUE(*reader->Next(&seq, &proof));
  EXPECT_TRUE(v->Verify(proof).ok());
  EXPECT_EQ(ExportVerifier::Create(reader->evidence(), {&trusted, *dir_ / "other-ca.pem"}).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(TimestampRequest, IsDerOpensslReads) {
  TempDir dir;
  auto req = MakeTimestampRequest("data");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->nonce.size(), 8u);
  WriteFileOrDie(dir / "req.tsq", req->der);
  auto r = RunCommand({"openssl", "ts", "-query", "-in", dir / "req.tsq", "-text"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Hash Algorithm: sha256"));
  EXPECT_THAT(r.output, HasSubstr("Certificate required: yes"));
  EXPECT_THAT(r.output, HasSubstr("Nonce: 0x"));
  EXPECT_NE(MakeTimestampRequest("data")->nonce, req->nonce);
}

}  // namespace
}  // namespace paraat
