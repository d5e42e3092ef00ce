#include "collector/ingest/validation.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;

v1::ResultBatch GoodBatch() {
  v1::ResultBatch b;
  b.set_sequence(1);
  auto* r = b.add_results();
  r->set_check_id("pg-dump");
  r->set_kind("file_backup");
  r->set_status(v1::CHECK_STATUS_OK);
  r->set_started_unix_ns(1);
  return b;
}

TEST(ValidateBatch, AcceptsAWellFormedBatch) { EXPECT_TRUE(ValidateBatch(GoodBatch(), {}).ok()); }

TEST(ValidateBatch, RejectsMalformedFieldsByName) {
  IngestLimits limits;
  auto b = GoodBatch();
  b.mutable_results(0)->set_check_id("../etc/passwd");
  auto st = ValidateBatch(b, limits);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("batch.results[0].check_id"));

  b = GoodBatch();
  b.mutable_results(0)->set_status(static_cast<v1::CheckStatus>(42));
  EXPECT_THAT(std::string(ValidateBatch(b, limits).message()), HasSubstr("results[0].status"));

  b = GoodBatch();
  b.mutable_results(0)->mutable_facts()->set_coverage(1.5);
  EXPECT_THAT(std::string(ValidateBatch(b, limits).message()), HasSubstr("coverage"));

  b = GoodBatch();
  b.mutable_results(0)->mutable_facts()->set_restore_duration_seconds(std::nan(""));
  EXPECT_EQ(ValidateBatch(b, limits).code(), absl::StatusCode::kInvalidArgument);

  b = GoodBatch();
  b.set_sequence(0);
  EXPECT_EQ(ValidateBatch(b, limits).code(), absl::StatusCode::kInvalidArgument);

  b = GoodBatch();
  b.clear_results();
  EXPECT_EQ(ValidateBatch(b, limits).code(), absl::StatusCode::kInvalidArgument);

  b = GoodBatch();  // a detail's exact bytes, as long as its value may be
  b.mutable_results(0)->add_details()->set_key("file");
  b.mutable_results(0)->mutable_details(0)->set_raw_value(std::string(4097, '\xe9'));
  EXPECT_THAT(std::string(ValidateBatch(b, limits).message()), HasSubstr("details"));
}

TEST(ValidateBatch, OversizedContentIsResourceExhausted) {
  IngestLimits limits;
  limits.max_results_per_batch = 2;
  auto b = GoodBatch();
  *b.add_results() = b.results(0);
  *b.add_results() = b.results(0);
  EXPECT_EQ(ValidateBatch(b, limits).code(), absl::StatusCode::kResourceExhausted);
  b = GoodBatch();
  b.mutable_results(0)->set_message(std::string(5000, 'x'));
  EXPECT_EQ(ValidateBatch(b, {}).code(), absl::StatusCode::kResourceExhausted);
  b = GoodBatch();
  for (int i = 0; i < 65; ++i) b.mutable_results(0)->add_details()->set_key("k");
  EXPECT_EQ(ValidateBatch(b, {}).code(), absl::StatusCode::kResourceExhausted);
}

TEST(ValidateHello, NeedsAValidAgentId) {
  v1::Hello h;
  h.set_agent_id("db-01");
  EXPECT_TRUE(ValidateHello(h, {}).ok());
  h.set_agent_id("");
  EXPECT_EQ(ValidateHello(h, {}).code(), absl::StatusCode::kInvalidArgument);
  h.set_agent_id("db 01");
  EXPECT_EQ(ValidateHello(h, {}).code(), absl::StatusCode::kInvalidArgument);
  h.set_agent_id("db-01");
  for (int i = 0; i < 33; ++i) {
    auto* l = h.add_labels();
    l->set_name("k" + std::to_string(i));
  }
  EXPECT_EQ(ValidateHello(h, {}).code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace paraat
