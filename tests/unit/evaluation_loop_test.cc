// The evaluation loop on a fake clock: which state transitions it records, when, and what it does
// when recording fails, after a restart and on a follower. No collector, no gRPC.
#include "collector/evaluation/evaluation_loop.h"

#include <functional>
#include <mutex>
#include <vector>

#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

using v1::PLAN_STATE_NOT_READY;
using v1::PLAN_STATE_READY;
using v1::PLAN_STATE_UNKNOWN;
using v1::PLAN_STATE_UNSPECIFIED;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

// Keeps what the loop appends; fails the next appends when told to.
class FakeSink : public RecordSink {
 public:
  void Append(std::vector<PendingRecord> records, Done done) override {
    absl::Status st = absl::OkStatus();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (failures_ > 0) {
        --failures_;
        st = absl::UnavailableError("store down");
      } else {
        for (PendingRecord& r : records) records_.push_back(std::move(r));
      }
    }
    done(st, st.ok() ? 1 : 0);
  }
  void FailNext(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_ = n;
  }
  // (from, to) of every transition recorded, in order.
  std::vector<std::pair<PlanState, PlanState>> Transitions() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::pair<PlanState, PlanState>> out;
    for (const PendingRecord& r : records_) {
      v1::EvidenceRecord rec;
      EXPECT_TRUE(rec.ParseFromString(r.payload));
      EXPECT_EQ(r.type, RecordType::kTransition);
      EXPECT_EQ(r.plan_id, "p");
      EXPECT_EQ(r.state, rec.transition().to());
      out.emplace_back(rec.transition().from(), rec.transition().to());
    }
    return out;
  }

 private:
  std::mutex mu_;
  int failures_ = 0;
  std::vector<PendingRecord> records_;
};

class CountingMetrics : public EvaluationMetrics {
 public:
  void Evaluated(absl::Duration) override { ++evaluations; }
  void TransitionsRecorded(size_t n) override { transitions += n; }
  std::atomic<int> evaluations{0};
  std::atomic<size_t> transitions{0};
};

class EvaluationLoopTest : public ::testing::Test {
 protected:
  EvaluationLoopTest() : loop_(&state_, &sink_, &metrics_, &clock_, absl::Seconds(1)) {}

  // One plan: a backup at a/dump, RPO 15 minutes.
  static std::vector<Plan> Plans() {
    Plan p;
    p.id = "p";
    p.name = "P";
    p.rpo = absl::Minutes(15);
    p.rto = absl::Hours(4);
    p.recovery_point = {"a/dump"};
    // These tests follow the recovery point; the RTO is not what they are about.
    p.accept_unevidenced["rto"] = "not the subject of these tests";
    return {p};
  }

  // A backup check result from now, with a recovery point five minutes old; the check runs hourly.
  void FreshBackup() {
    Observation o;
    o.status = v1::CHECK_STATUS_OK;
    o.kind = "file_backup";
    o.duration = absl::Seconds(1);
    o.finished = clock_.Now();
    o.started = o.finished - o.duration;
    o.interval = absl::Hours(1);
    o.recovery_point = clock_.Now() - absl::Minutes(5);
    o.integrity = v1::INTEGRITY_VERIFIED;
    std::vector<CheckObservation> results;
    results.push_back({"dump", o});
    state_.AddResults("a", std::move(results), ++seq_, clock_.Now());
  }

  PlanState StateNow() { return loop_.snapshot()->Find("p")->evaluation.state; }

  FakeClock clock_{kStart};
  EvidenceState state_;
  FakeSink sink_;
  CountingMetrics metrics_;
  EvaluationLoop loop_;
  uint64_t seq_ = 0;
};

TEST_F(EvaluationLoopTest, RecordsEachChangeOfStateOnce) {
  loop_.SetPlans(Plans());  // evaluates at once: no evidence yet
  EXPECT_THAT(sink_.Transitions(), ::testing::ElementsAre(std::pair(PLAN_STATE_UNSPECIFIED, PLAN_STATE_UNKNOWN)));
  FreshBackup();
  loop_.EvaluateNow();
  loop_.EvaluateNow();  // nothing changed: nothing recorded
  EXPECT_THAT(sink_.Transitions(), ::testing::ElementsAre(std::pair(PLAN_STATE_UNSPECIFIED, PLAN_STATE_UNKNOWN),
                                                          std::pair(PLAN_STATE_UNKNOWN, PLAN_STATE_READY)));
  EXPECT_EQ(metrics_.transitions, 2u);
  EXPECT_EQ(metrics_.evaluations, 3);
  EXPECT_EQ(loop_.snapshot()->Find("p")->since, clock_.Now());
}

TEST_F(EvaluationLoopTest, TimeAloneBreachesThePlan) {
  loop_.SetPlans(Plans());
  FreshBackup();
  loop_.EvaluateNow();
  ASSERT_EQ(StateNow(), PLAN_STATE_READY);
  loop_.Start();
  // No result arrives: the loop re-evaluates every interval, and 20 minutes on the backup is
  // older than the RPO. (Should the loop start waiting only after this, its interval runs from
  // then: the clock moves on a second at a time until it evaluates.)
  clock_.Advance(absl::Minutes(20));
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        if (sink_.Transitions().size() < 3) clock_.Advance(absl::Seconds(1));
        return sink_.Transitions().size() >= 3;
      },
      absl::Seconds(10)));
  ASSERT_EQ(sink_.Transitions().size(), 3u);
  EXPECT_EQ(sink_.Transitions()[2], std::pair(PLAN_STATE_READY, PLAN_STATE_NOT_READY));
  EXPECT_EQ(StateNow(), PLAN_STATE_NOT_READY);
  loop_.Stop();
}

TEST_F(EvaluationLoopTest, ResultsWakeTheLoopBeforeTheInterval) {
  loop_.SetPlans(Plans());
  loop_.Start();
  FreshBackup();
  loop_.SourcesChanged({"a/dump"});  // no time passes: only the new result can wake it
  ASSERT_TRUE(testing::WaitFor([&] { return sink_.Transitions().size() == 2; }, absl::Seconds(10)));
  EXPECT_EQ(StateNow(), PLAN_STATE_READY);
  loop_.Stop();
}

TEST_F(EvaluationLoopTest, AFailedRecordingIsRecordedAgainAtTheNextEvaluation) {
  sink_.FailNext(1);
  loop_.SetPlans(Plans());
  EXPECT_TRUE(sink_.Transitions().empty());
  loop_.EvaluateNow();
  EXPECT_THAT(sink_.Transitions(), ::testing::ElementsAre(std::pair(PLAN_STATE_UNSPECIFIED, PLAN_STATE_UNKNOWN)));
}

TEST_F(EvaluationLoopTest, AfterARestartTheRecordedStateCausesNoTransition) {
  FreshBackup();
  loop_.RestoreStates({PlanStateRow{"p", PLAN_STATE_READY, absl::ToUnixNanos(kStart - absl::Hours(1)), 7}});
  loop_.SetPlans(Plans());
  EXPECT_TRUE(sink_.Transitions().empty());
  EXPECT_EQ(loop_.snapshot()->Find("p")->since, kStart - absl::Hours(1));
}

TEST_F(EvaluationLoopTest, AFollowerEvaluatesButRecordsNothing) {
  loop_.SetRecording(false);
  loop_.SetPlans(Plans());
  FreshBackup();
  loop_.EvaluateNow();
  EXPECT_EQ(StateNow(), PLAN_STATE_READY);
  EXPECT_TRUE(sink_.Transitions().empty());
  EXPECT_EQ(metrics_.transitions, 0u);
}

}  // namespace
}  // namespace paraat
