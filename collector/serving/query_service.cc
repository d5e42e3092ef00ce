#include "collector/serving/query_service.h"

#include <future>
#include <map>
#include <set>
#include <shared_mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/evaluation/plan_status.h"
#include "collector/ingest/validation.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/process.h"
#include "common/sha256.h"
#include "common/time_util.h"
#include "common/version.h"

namespace paraat {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

QueryServiceImpl::QueryServiceImpl(EvaluationLoop* loop, const EvidenceState* state, Store* store, Ingest* ingest,
                                   const Clock* clock, QueryServiceHooks hooks)
    : loop_(loop), state_(state), store_(store), ingest_(ingest), clock_(clock), hooks_(std::move(hooks)) {}

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
        src->set_fresh(IsFresh(*s->latest, now));
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
  auto snap = loop_->snapshot();
  std::vector<const PlanView*> views;
  if (req->plan_ids().empty()) {
    for (const PlanView& v : snap->plans) views.push_back(&v);
  } else {
    for (const std::string& id : req->plan_ids()) {
      const PlanView* v = snap->Find(id);
      if (v == nullptr) return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("no plan with id \"", id, "\""));
      views.push_back(v);
    }
  }
  const absl::Time now = clock_->Now();
  const absl::Time until = req->until_unix_ns() > 0 ? FromUnixNs(req->until_unix_ns()) : now;
  const absl::Time since = FromUnixNs(req->since_unix_ns());
  if (until < since) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the export range ends before it starts");
  }

  // Which plans each source, agent and plan id is evidence for.
  std::map<std::string, std::vector<std::string>> by_source, by_agent;
  std::set<std::string> plan_ids;
  paraat::v1::ExportEvidenceResponse header;
  auto* h = header.mutable_header();
  for (const PlanView* v : views) {
    plan_ids.insert(v->plan->id);
    *h->add_plans() = ToProto(*v->plan);
    *h->add_statuses() = ToPlanStatus(*v, snap->at);
    for (const std::string& key : v->plan->AllSources()) {
      by_source[key].push_back(v->plan->id);
      auto& agents = by_agent[key.substr(0, key.find('/'))];
      if (agents.empty() || agents.back() != v->plan->id) agents.push_back(v->plan->id);
    }
  }
  // The whole chain is verified, not only the exported range: a record outside it may be what was
  // edited. In the header, or - when the client takes it last - on another thread while the
  // records stream (the future's destructor waits for it on every return below).
  std::future<absl::StatusOr<paraat::v1::ChainVerification>> verifying;
  if (req->verification_last()) {
    verifying = std::async(std::launch::async, [this] {
      // Behind the records on a busy collector: the export's own thread comes first.
      (void)LowerThreadPriority(10);  // best effort: the verification runs either way
      return store_->Verify(nullptr);
    });
  } else {
    auto verification = store_->Verify(nullptr);
    if (!verification.ok()) return ToGrpcStatus(verification.status());
    *h->mutable_verification() = *verification;
    h->mutable_verification()->set_verified_unix_ns(ToUnixNs(now));
  }
  h->set_generated_unix_ns(ToUnixNs(now));
  h->set_collector_version(PARAAT_VERSION);
  if (!writer->Write(header)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");

  // The verification message, when the client asked for it last.
  auto send_verification = [&]() -> grpc::Status {
    if (!verifying.valid()) return grpc::Status::OK;
    auto verification = verifying.get();
    if (!verification.ok()) return ToGrpcStatus(verification.status());
    paraat::v1::ExportEvidenceResponse last;
    *last.mutable_verification() = *verification;
    last.mutable_verification()->set_verified_unix_ns(ToUnixNs(clock_->Now()));
    if (!writer->Write(last)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    return grpc::Status::OK;
  };

  auto from = store_->FirstSeqAtOrAfter(since);
  if (!from.ok()) return ToGrpcStatus(from.status());
  auto to = store_->FirstSeqAtOrAfter(until + absl::Nanoseconds(1));
  if (!to.ok()) return ToGrpcStatus(to.status());
  if (*to <= *from) return send_verification();

  // Records go out many to a message: one gRPC message per record cost more than the record.
  constexpr int kRecordsPerMessage = 256;
  bool client_gone = false;
  paraat::v1::ExportEvidenceResponse out;
  auto* batch = out.mutable_records()->mutable_records();
  int used = 0;  // records of `batch` filled; the rest are kept for reuse
  auto flush = [&] {
    if (used == 0) return true;
    batch->DeleteSubrange(used, batch->size() - used);
    // buffer_hint: more follow, gRPC need not flush each message on its own.
    const bool ok = writer->Write(out, grpc::WriteOptions().set_buffer_hint());
    used = 0;
    return ok;
  };
  absl::Status scan = store_->Scan(*from, *to - 1, [&](const StoredRecord& r) {
    auto* er = used < batch->size() ? batch->Mutable(used) : batch->Add();
    er->Clear();
    paraat::v1::EvidenceRecord* rec = er->mutable_record();
    if (!rec->ParseFromString(r.payload)) return true;  // verification reports it
    const std::vector<std::string>* plans = nullptr;
    std::vector<std::string> single;
    switch (r.type) {
      case RecordType::kResult: {
        auto it = by_source.find(SourceKey(rec->result().agent_id(), rec->result().result().check_id()));
        if (it != by_source.end()) plans = &it->second;
        break;
      }
      case RecordType::kGap: {
        auto it = by_agent.find(rec->gap().agent_id());
        if (it != by_agent.end()) plans = &it->second;
        break;
      }
      case RecordType::kTransition:
      case RecordType::kExercise:
      case RecordType::kPlanChange: {
        const std::string& id = r.type == RecordType::kTransition ? rec->transition().plan_id()
                                : r.type == RecordType::kExercise ? rec->exercise().plan_id()
                                                                  : rec->plan_change().plan_id();
        if (plan_ids.count(id)) {
          single.push_back(id);
          plans = &single;
        }
        break;
      }
      case RecordType::kPrune:
        plans = &single;  // concerns every plan
        break;
    }
    if (plans == nullptr) return true;
    rec->set_seq(r.seq);
    rec->set_recorded_unix_ns(r.recorded_ns);
    er->set_hash(r.hash);
    for (const std::string& id : *plans) er->add_plan_ids(id);
    // Cancellation is checked per message, not per record: IsCancelled() takes a lock gRPC's
    // transport thread holds while it sends, and per record that contention tripled the time.
    if (++used == kRecordsPerMessage && (!flush() || ctx->IsCancelled())) {
      client_gone = true;
      return false;
    }
    return true;
  });
  if (!scan.ok()) return ToGrpcStatus(scan);
  if (!client_gone && !flush()) client_gone = true;
  if (client_gone || ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "export cancelled");
  return send_verification();
}

grpc::Status QueryServiceImpl::RecordExercise(grpc::ServerContext* ctx, const paraat::v1::RecordExerciseRequest* req,
                                              paraat::v1::RecordExerciseResponse* resp) {
  if (auto st = Authorize(ctx, Permission::kAdmin); !st.ok()) return st;
  paraat::v1::EvidenceRecord rec;
  paraat::v1::ExerciseRecord* e = rec.mutable_exercise();
  *e = req->exercise();
  if (loop_->snapshot()->Find(e->plan_id()) == nullptr) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("no plan with id \"", e->plan_id(), "\""));
  }
  if (absl::Status st = ValidateExercise(*e, clock_->Now()); !st.ok()) return ToGrpcStatus(st);
  if (!req->attachment().empty()) {
    e->set_attachment_sha256(ToHex(Sha256Of(req->attachment())));
    e->set_attachment_size(req->attachment().size());
    absl::Status st = store_->PutAttachment(e->attachment_sha256(), req->attachment());
    if (!st.ok()) return ToGrpcStatus(st);
  }
  PendingRecord pr;
  pr.type = RecordType::kExercise;
  pr.plan_id = e->plan_id();
  rec.SerializeToString(&pr.payload);
  std::vector<PendingRecord> records;
  records.push_back(std::move(pr));
  // The ingest writer commits the record and folds the exercise into the state.
  auto seq = ingest_->AppendAndWait(std::move(records));
  if (!seq.ok()) return ToGrpcStatus(seq.status());
  loop_->EvaluateNow();
  LogInfo("exercise recorded for plan ", e->plan_id(), ": ", e->kind(), " ", e->passed() ? "passed" : "failed",
          " (evidence record ", *seq, ")");
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
