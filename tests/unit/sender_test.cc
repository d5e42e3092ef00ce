// The sender's backoff on a fake clock, against an in-process collector stub on loopback: it
// doubles (with jitter, up to a minute) while the collector refuses the stream — also when it
// refuses right after welcoming the agent — and starts again from a second only after a session
// the collector kept for Sender::kHealthySession.
#include "agent/sender.h"

#include <atomic>
#include <thread>

#include "agent/spool.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "paraat/v1/agent.grpc.pb.h"
#include "tests/testlib/fake_clock_driver.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

using testing::NextWait;

// Refuses every stream, welcomes the agent and refuses it right after (as a collector whose
// store is down does), or welcomes it and keeps the session until told to end it.
class StubCollector final : public v1::AgentService::Service {
 public:
  grpc::Status Stream(grpc::ServerContext* ctx,
                      grpc::ServerReaderWriter<v1::CollectorMessage, v1::AgentMessage>* stream) override {
    ++attempts;
    if (refuse) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "not now");
    v1::AgentMessage hello;
    if (!stream->Read(&hello)) return grpc::Status(grpc::StatusCode::CANCELLED, "no hello");
    if (hello.hello().sent_unix_ns() != 0) ++hellos_with_time;
    v1::CollectorMessage welcome;
    welcome.mutable_welcome()->set_max_inflight_batches(8);
    stream->Write(welcome);
    if (refuse_after_welcome) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the store is down");
    while (!end_session && !ctx->IsCancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return grpc::Status::OK;
  }
  std::atomic<int> attempts{0};
  std::atomic<int> hellos_with_time{0};
  std::atomic<bool> refuse{true};
  std::atomic<bool> refuse_after_welcome{false};
  std::atomic<bool> end_session{false};
};

bool Eventually(const std::function<bool()>& condition) { return testing::WaitFor(condition, absl::Seconds(20)); }

TEST(Sender, BackoffGrowsWhileTheCollectorRefusesAndResetsOnlyAfterASession) {
  StubCollector stub;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&stub);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_TRUE(server != nullptr && port > 0);

  testing::TempDir dir;
  auto spool = Spool::Open(dir / "spool", 1 << 20);
  ASSERT_TRUE(spool.ok()) << spool.status();
  AgentConfig config;
  config.file = dir / "agent.yaml";
  config.agent_id = "t1";
  config.collector_address = absl::StrCat("127.0.0.1:", port);
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  Sender sender(config, spool->get(), &clock);
  ASSERT_TRUE(sender.Init().ok());
  sender.Start();

  // Each reconnect wait as the sender chose it, once it chose one more than `before`. The clock is
  // only moved while the sender waits to reconnect, never during a session.
  auto next_backoff = [&](int before) {
    EXPECT_TRUE(Eventually([&] { return sender.backoffs() > before; }));
    return sender.last_backoff();
  };
  // Moves the clock to the end of the reconnect wait in progress.
  auto end_backoff = [&] {
    std::optional<absl::Duration> wait = NextWait(clock);
    ASSERT_TRUE(wait);
    clock.Advance(*wait);
  };

  // Refused: each retry waits about twice as long as the one before, [d/2, d], up to a minute.
  const int64_t caps[] = {1, 2, 4, 8, 16, 32, 60, 60};
  for (int i = 0; i < 8; ++i) {
    const absl::Duration wait = next_backoff(i);
    EXPECT_GE(wait, absl::Seconds(caps[i]) / 2) << i;
    EXPECT_LE(wait, absl::Seconds(caps[i])) << i;
    EXPECT_EQ(stub.attempts, i + 1) << "no retry before the backoff is over";
    if (i < 7) end_backoff();
  }

  // Welcomed, then refused at once, again and again: the backoff stays where it is (a minute).
  stub.refuse = false;
  stub.refuse_after_welcome = true;
  for (int i = 0; i < 3; ++i) {
    const int before = sender.backoffs();
    end_backoff();
    EXPECT_GE(next_backoff(before), absl::Seconds(30))
        << i << ": refused right after the welcome, it backs off further";
    EXPECT_GT(stub.hellos_with_time, i) << i;
  }

  // Welcomed and kept for kHealthySession: after that session ends, the next retry comes within a
  // second again.
  stub.refuse_after_welcome = false;
  int before = sender.backoffs();
  end_backoff();
  ASSERT_TRUE(Eventually([&] { return sender.connected(); }));
  clock.Advance(Sender::kHealthySession);
  stub.end_session = true;
  absl::Duration wait = next_backoff(before);
  EXPECT_GE(wait, absl::Milliseconds(500));
  EXPECT_LE(wait, absl::Seconds(1));

  // Refused again: growing again from there.
  stub.refuse = true;
  stub.end_session = false;
  before = sender.backoffs();
  end_backoff();
  wait = next_backoff(before);
  EXPECT_GE(wait, absl::Seconds(1));
  EXPECT_LE(wait, absl::Seconds(2));

  sender.Stop();
  server->Shutdown();
}

}  // namespace
}  // namespace paraat
