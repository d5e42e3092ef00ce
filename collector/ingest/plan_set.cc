#include "collector/ingest/plan_set.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/units.h"

namespace paraat {

PlanSet::PlanSet(std::string plans_dir, Store* store, Ingest* ingest, EvaluationLoop* loop)
    : plans_dir_(std::move(plans_dir)), store_(store), ingest_(ingest), loop_(loop) {}

absl::Status PlanSet::LoadRecorded() {
  PARAAT_ASSIGN_OR_RETURN(std::vector<PlanStateRow> states, store_->LoadPlanStates());
  PARAAT_ASSIGN_OR_RETURN(auto versions, store_->LoadPlanVersions());
  loop_->RestoreStates(states);
  versions_.clear();
  for (auto& [id, sha] : versions) versions_[id] = sha;
  return absl::OkStatus();
}

absl::Status PlanSet::Start(std::vector<Plan> plans, bool leading) {
  std::lock_guard<std::mutex> lock(mu_);
  PARAAT_RETURN_IF_ERROR(LoadRecorded());
  leading_ = leading;
  loop_->SetRecording(leading);
  if (leading) PARAAT_RETURN_IF_ERROR(RecordChanges(plans));
  loop_->SetPlans(std::move(plans));
  return absl::OkStatus();
}

absl::StatusOr<size_t> PlanSet::Reload() {
  std::lock_guard<std::mutex> lock(mu_);
  auto plans = LoadPlansDir(plans_dir_);
  if (!plans.ok()) {
    LogError("plans not reloaded; the last good plans stay in use:\n", plans.status().message());
    return plans.status();
  }
  if (leading_) PARAAT_RETURN_IF_ERROR(RecordChanges(*plans));  // else the leader records them
  const size_t n = plans->size();
  loop_->SetPlans(*std::move(plans));
  LogInfo("plans reloaded: ", CountOf(n, "plan"));
  return n;
}

absl::Status PlanSet::Lead() {
  std::lock_guard<std::mutex> lock(mu_);
  // Start from the states the previous leader recorded, so no false transition is recorded.
  PARAAT_RETURN_IF_ERROR(LoadRecorded());
  std::vector<Plan> plans;
  for (const auto& p : *loop_->plans()) plans.push_back(*p);
  if (absl::Status st = RecordChanges(plans); !st.ok()) LogWarning("recording plan changes: ", st.message());
  leading_ = true;
  loop_->SetRecording(true);
  return absl::OkStatus();
}

void PlanSet::StepDown() {
  std::lock_guard<std::mutex> lock(mu_);
  leading_ = false;
  loop_->SetRecording(false);
}

absl::Status PlanSet::RecordChanges(const std::vector<Plan>& plans) {
  std::vector<PendingRecord> records;
  std::set<std::string> current;
  auto add = [&](const std::string& id, const std::string& change, const Plan* plan) {
    paraat::v1::EvidenceRecord rec;
    auto* pc = rec.mutable_plan_change();
    pc->set_plan_id(id);
    pc->set_change(change);
    if (plan != nullptr) {
      pc->set_file(plan->file);
      pc->set_sha256(plan->sha256);
      *pc->mutable_definition() = ToProto(*plan);
    }
    PendingRecord pr;
    pr.type = RecordType::kPlanChange;
    pr.plan_id = id;
    pr.sha256 = plan ? plan->sha256 : "";
    rec.SerializeToString(&pr.payload);
    records.push_back(std::move(pr));
    LogInfo("plan ", id, " ", change, plan ? absl::StrCat(" (", plan->file, ")") : "");
  };
  for (const Plan& p : plans) {
    current.insert(p.id);
    auto it = versions_.find(p.id);
    if (it == versions_.end() || it->second.empty()) {
      add(p.id, "added", &p);
    } else if (it->second != p.sha256) {
      add(p.id, "changed", &p);
    }
  }
  for (const auto& [id, sha] : versions_) {
    if (!sha.empty() && !current.count(id)) add(id, "removed", nullptr);
  }
  if (records.empty()) return absl::OkStatus();
  PARAAT_RETURN_IF_ERROR(ingest_->AppendAndWait(records).status());
  for (const PendingRecord& r : records) versions_[r.plan_id] = r.sha256;
  return absl::OkStatus();
}

}  // namespace paraat
