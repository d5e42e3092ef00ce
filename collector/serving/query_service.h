// The query API behind paraatctl: status, plan detail, evidence export and verification,
// exercises recorded by people, plan reloads. Handlers convert, call the domain, and map
// statuses back; access control is decided by the `authorize` hook.
#ifndef PARAAT_COLLECTOR_SERVING_QUERY_SERVICE_H_
#define PARAAT_COLLECTOR_SERVING_QUERY_SERVICE_H_

#include <functional>
#include <string>

#include "collector/evaluation/evaluation_loop.h"
#include "collector/evaluation/state.h"
#include "collector/ingest/ingest.h"
#include "collector/serving/continuity_recorder.h"
#include "collector/serving/evidence_export.h"
#include "collector/serving/exercise_recorder.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "paraat/v1/query.grpc.pb.h"

namespace paraat {

// What a caller may do: viewers read status, auditors also export and verify evidence,
// admins also record exercises and reload plans.
enum class Permission { kView, kAudit, kAdmin };

struct QueryServiceHooks {
  // OK, or PERMISSION_DENIED / UNAUTHENTICATED for this caller and permission. Unset: allow all.
  std::function<grpc::Status(const grpc::ServerContext&, Permission)> authorize;
  // Reloads plans from disk; returns the number loaded or the problems.
  std::function<absl::StatusOr<size_t>()> reload_plans;
  // Whether the evidence store can be used now (GetStatusResponse.store). Unset: not reported.
  std::function<paraat::v1::StoreStatus()> store_status;
  // Signs the checkpoint each export proves itself against. Unset: exports carry no proof.
  ExportSigner signer;
};

class QueryServiceImpl final : public paraat::v1::QueryService::Service {
 public:
  QueryServiceImpl(EvaluationLoop* loop, const EvidenceState* state, Store* store, Ingest* ingest, const Clock* clock,
                   QueryServiceHooks hooks);

  grpc::Status GetStatus(grpc::ServerContext* ctx, const paraat::v1::GetStatusRequest* req,
                         paraat::v1::GetStatusResponse* resp) override;
  grpc::Status GetPlan(grpc::ServerContext* ctx, const paraat::v1::GetPlanRequest* req,
                       paraat::v1::GetPlanResponse* resp) override;
  grpc::Status ExportEvidence(grpc::ServerContext* ctx, const paraat::v1::ExportEvidenceRequest* req,
                              grpc::ServerWriter<paraat::v1::ExportEvidenceResponse>* writer) override;
  grpc::Status VerifyEvidence(grpc::ServerContext* ctx, const paraat::v1::VerifyEvidenceRequest* req,
                              paraat::v1::VerifyEvidenceResponse* resp) override;
  grpc::Status RecordExercise(grpc::ServerContext* ctx, const paraat::v1::RecordExerciseRequest* req,
                              paraat::v1::RecordExerciseResponse* resp) override;
  grpc::Status ReloadPlans(grpc::ServerContext* ctx, const paraat::v1::ReloadPlansRequest* req,
                           paraat::v1::ReloadPlansResponse* resp) override;
  grpc::Status RecordReview(grpc::ServerContext* ctx, const paraat::v1::RecordReviewRequest* req,
                            paraat::v1::RecordContinuityResponse* resp) override;
  grpc::Status RecordIncident(grpc::ServerContext* ctx, const paraat::v1::RecordIncidentRequest* req,
                              paraat::v1::RecordContinuityResponse* resp) override;
  grpc::Status GetRecoveryOrder(grpc::ServerContext* ctx, const paraat::v1::GetRecoveryOrderRequest* req,
                                paraat::v1::GetRecoveryOrderResponse* resp) override;

  // The recorder of reviews and incidents, shared with the web console: one check-and-commit at
  // a time whichever way a person comes in.
  ContinuityRecorder* continuity() { return &continuity_; }

 private:
  grpc::Status Authorize(grpc::ServerContext* ctx, Permission p) const;

  EvaluationLoop* loop_;
  const EvidenceState* state_;  // read only: the ingest writer folds
  Store* store_;
  const Clock* clock_;
  QueryServiceHooks hooks_;
  EvidenceExport export_;
  ExerciseRecorder exercises_;
  ContinuityRecorder continuity_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_QUERY_SERVICE_H_
