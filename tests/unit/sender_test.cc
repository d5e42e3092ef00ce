// The sender's backoff on a fake clock, against an in-process collector stub on loopback: it
// doubles (with jitter, up to a minute) while the collector refuses the stream, and starts again
// from a second only after a session in which the collector welcomed the agent.
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

// Refuses every stream, or welcomes the agent and keeps the session until told to end it.
class StubCollector final : public v1::AgentService::Service {
 public:
  grpc::Status Stream(grpc::ServerContext* ctx,
                      grpc::ServerReaderWriter<v1::CollectorMessage, v1::AgentMessage>* stream) override {
    ++attempts;
    if (refuse) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "not now");
    v1::AgentMessage hello;
    if (!stream->Read(&hello)) return grpc::Status(grpc::StatusCode::CANCELLED, "no hello");
    v1::CollectorMessage welcome;
    welcome.mutable_welcome()->set_max_inflight_batches(8);
    stream->Write(welcome);
    while (!end_session && !ctx->IsCancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return grpc::Status::OK;
  }
  std::atomic<int> attempts{0};
  std::atomic<bool> refuse{true};
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

  // Refused: each retry waits about twice as long as the one before, [d/2, d], up to a minute.
  const int64_t caps[] = {1, 2, 4, 8, 16, 32, 60, 60};
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(Eventually([&] { return stub.attempts >= i + 1; })) << i;
    std::optional<absl::Duration> wait = NextWait(clock);
    ASSERT_TRUE(wait) << i;
    EXPECT_GE(*wait, absl::Seconds(caps[i]) / 2) << i;
    EXPECT_LE(*wait, absl::Seconds(caps[i])) << i;
    EXPECT_EQ(stub.attempts, i + 1) << "no retry before the backoff is over";
    clock.Advance(*wait);
  }

  // Welcomed: after that session ends, the next retry comes within a second again.
  stub.refuse = false;
  ASSERT_TRUE(Eventually([&] { return sender.connected(); }));
  stub.end_session = true;
  ASSERT_TRUE(Eventually([&] { return !sender.connected(); }));
  std::optional<absl::Duration> wait = NextWait(clock);
  ASSERT_TRUE(wait);
  EXPECT_GE(*wait, absl::Milliseconds(500));
  EXPECT_LE(*wait, absl::Seconds(1));

  // Refused again: growing again from there.
  stub.refuse = true;
  stub.end_session = false;
  const int before = stub.attempts;
  clock.Advance(*wait);
  ASSERT_TRUE(Eventually([&] { return stub.attempts > before; }));
  wait = NextWait(clock);
  ASSERT_TRUE(wait);
  EXPECT_GE(*wait, absl::Seconds(1));
  EXPECT_LE(*wait, absl::Seconds(2));

  sender.Stop();
  server->Shutdown();
}

}  // namespace
}  // namespace paraat
