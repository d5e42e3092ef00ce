#include "collector/serving/query_service.h"

#include <map>
#include <shared_mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/evaluation/plan_status.h"
#include "common/grpc_status.h"
#include "common/ids.h"
#include "common/time_util.h"
#include "common/version.h"

namespace paraat {

QueryServiceImpl::QueryServiceImpl(EvaluationLoop* loop, const EvidenceState* state, Store* store, Ingest* ingest,
                                   const Clock* clock, QueryServiceHooks hooks)
    : loop_(loop),
      state_(state),
      store_(store),
      clock_(clock),
      hooks_(std::move(hooks)),
      export_(store, clock, hooks_.signer),
      exercises_(loop, store, ingest, clock),
      continuity_(loop, state, store, ingest, clock) {}

grpc::Status QueryServiceImpl::Authorize(grpc::ServerContext* ctx, Permission p) const {
  return hooks_.authorize ? hooks_.authorize(*ctx, p) : grpc::Status::OK;
}

grpc::Status QueryServiceImpl::GetStatus(grpc::ServerContext* ctx, const paraat::v1::GetStatusRequest*,
                                         paraat::v1::GetStatusResponse* resp) {
  if (auto st = Authorize(ctx, Permission::kView); !st.ok()) return st;
  auto snap = loop_->snapshot();
  for (auto& s : SortedStatuses(*snap)) *resp->add_plans() = std::move(s);
  resp->set_now_unix_ns(ToUnixNs(clock_->Now()));
  resp->set_collector_version(PARAAT_VERSION);
  if (hooks_.store_status) *resp->mutable_store() = hooks_.store_status();
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::GetRecoveryOrder(grpc::ServerContext* ctx,
                                                const paraat::v1::GetRecoveryOrderRequest* req,
                                                paraat::v1::GetRecoveryOrderResponse* resp) {
  if (auto st = Authorize(ctx, Permission::kView); !st.ok()) return st;
  auto order = RecoveryOrderOf(*loop_->snapshot(), req->plan_id());
  if (!order.ok()) return grpc::Status(grpc::StatusCode::NOT_FOUND, std::string(order.status().message()));
  *resp = *std::move(order);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::GetPlan(grpc::ServerContext* ctx, const paraat::v1::GetPlanRequest* req,
                                       paraat::v1::GetPlanResponse* resp) {
  if (auto st = Authorize(ctx, Permission::kView); !st.ok()) return st;
  auto snap = loop_->snapshot();
  const PlanView* view = snap->Find(req->plan_id());
  if (view == nullptr) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("no plan with id \"", req->plan_id(), "\""));
  }
  const Plan& plan = *view->plan;
  *resp->mutable_plan() = ToProto(plan);
  *resp->mutable_status() = ToPlanStatus(*view, snap->at);

  std::vector<uint64_t> seqs;
  std::vector<paraat::v1::SourceStatus*> order;
  {
    EvidenceState::ReadLock lock(*state_);
    const absl::Time now = clock_->Now();
    for (Role role : {Role::kRecoveryPoint, Role::kIntegrity, Role::kRestoreTest, Role::kFailover}) {
      for (const std::string& key : plan.Sources(role)) {
        auto* src = resp->add_sources();
        src->set_role(RoleName(role));
        src->set_source(key);
        const SourceState* s = state_->Source(key);
        if (s == nullptr || !s->latest) continue;
        src->set_seen(true);
        src->set_kind(s->latest->kind);
        src->set_fresh(IsFresh(*s->latest, now, loop_->options()));
        src->set_received_unix_ns(ToUnixNs(s->received));
        seqs.push_back(s->latest->evidence_seq);
        order.push_back(src);
      }
    }
    if (const PlanExercises* ex = state_->Exercises(plan.id)) {
      for (const auto& [kind, e] : ex->latest_by_kind) seqs.push_back(e.evidence_seq);
    }
  }
  // The latest results in full, with their evidence details, from the store.
  auto records = store_->Read(seqs);
  if (!records.ok()) return ToGrpcStatus(records.status());
  std::map<uint64_t, paraat::v1::EvidenceRecord> by_seq;
  for (const StoredRecord& r : *records) by_seq[r.seq].ParseFromString(r.payload);
  for (size_t i = 0; i < order.size(); ++i) {
    auto it = by_seq.find(seqs[i]);
    if (it != by_seq.end() && it->second.has_result()) *order[i]->mutable_latest() = it->second.result().result();
  }
  for (size_t i = order.size(); i < seqs.size(); ++i) {
    auto it = by_seq.find(seqs[i]);
    if (it != by_seq.end() && it->second.has_exercise()) *resp->add_exercises() = it->second.exercise();
  }
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::VerifyEvidence(grpc::ServerContext* ctx, const paraat::v1::VerifyEvidenceRequest*,
                                              paraat::v1::VerifyEvidenceResponse* resp) {
  if (auto st = Authorize(ctx, Permission::kAudit); !st.ok()) return st;
  auto v = store_->Verify(nullptr);
  if (!v.ok()) return ToGrpcStatus(v.status());
  *resp->mutable_verification() = *v;
  resp->mutable_verification()->set_verified_unix_ns(ToUnixNs(clock_->Now()));
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::ExportEvidence(grpc::ServerContext* ctx, const paraat::v1::ExportEvidenceRequest* req,
                                              grpc::ServerWriter<paraat::v1::ExportEvidenceResponse>* writer) {
  if (auto st = Authorize(ctx, Permission::kAudit); !st.ok()) return st;
  return export_.Run(ctx, *loop_->snapshot(), *req, writer);
}

grpc::Status QueryServiceImpl::RecordExercise(grpc::ServerContext* ctx, const paraat::v1::RecordExerciseRequest* req,
                                              paraat::v1::RecordExerciseResponse* resp) {
  if (auto st = Authorize(ctx, Permission::kAdmin); !st.ok()) return st;
  auto seq = exercises_.Record(req->exercise(), req->attachment());
  if (!seq.ok()) return ToGrpcStatus(seq.status());
  resp->set_seq(*seq);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::RecordReview(grpc::ServerContext* ctx, const paraat::v1::RecordReviewRequest* req,
                                            paraat::v1::RecordContinuityResponse* resp) {
  if (auto st = Authorize(ctx, Permission::kAdmin); !st.ok()) return st;
  auto seq = continuity_.RecordReview(req->review(), req->attachment());
  if (!seq.ok()) return ToGrpcStatus(seq.status());
  resp->set_seq(*seq);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::RecordIncident(grpc::ServerContext* ctx, const paraat::v1::RecordIncidentRequest* req,
                                              paraat::v1::RecordContinuityResponse* resp) {
  if (auto st = Authorize(ctx, Permission::kAdmin); !st.ok()) return st;
  auto seq = continuity_.RecordIncident(req->incident());
  if (!seq.ok()) return ToGrpcStatus(seq.status());
  resp->set_seq(*seq);
  return grpc::Status::OK;
}

grpc::Status QueryServiceImpl::ReloadPlans(grpc::ServerContext* ctx, const paraat::v1::ReloadPlansRequest*,
                                           paraat::v1::ReloadPlansResponse* resp) {
  if (auto st = Authorize(ctx, Permission::kAdmin); !st.ok()) return st;
  if (!hooks_.reload_plans) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "reload is not available");
  auto n = hooks_.reload_plans();
  if (!n.ok()) {
    resp->add_errors(std::string(n.status().message()));
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("plans not reloaded; the last good plans stay in use:\n", n.status().message()));
  }
  resp->set_plans(static_cast<uint32_t>(*n));
  return grpc::Status::OK;
}

}  // namespace paraat
