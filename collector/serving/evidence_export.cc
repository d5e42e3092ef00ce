#include "collector/serving/evidence_export.h"

#include <algorithm>
#include <future>

#include "absl/strings/str_cat.h"
#include "collector/evaluation/plan_status.h"
#include "common/grpc_status.h"
#include "common/ids.h"
#include "common/process.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "common/version.h"

namespace paraat {
namespace {

using Writer = ExportWriter;
using Verification = absl::StatusOr<paraat::v1::ChainVerification>;

// Records go out many to a message: one gRPC message per record cost more than the record.
constexpr int kRecordsPerMessage = 256;

const grpc::Status kClientGone(grpc::StatusCode::CANCELLED, "client went away");

// The plans the request names (all when it names none), or NOT_FOUND.
grpc::Status SelectPlans(const EvaluationSnapshot& snapshot, const paraat::v1::ExportEvidenceRequest& req,
                         std::vector<const PlanView*>* views) {
  if (req.plan_ids().empty()) {
    for (const PlanView& v : snapshot.plans) views->push_back(&v);
    return grpc::Status::OK;
  }
  for (const std::string& id : req.plan_ids()) {
    const PlanView* v = snapshot.Find(id);
    if (v == nullptr) return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("no plan with id \"", id, "\""));
    views->push_back(v);
  }
  return grpc::Status::OK;
}

// The verification message, when the client asked for it last (`verifying` is then valid).
grpc::Status SendVerification(std::future<Verification>& verifying, const Clock* clock, Writer* writer) {
  if (!verifying.valid()) return grpc::Status::OK;
  Verification verification = verifying.get();
  if (!verification.ok()) return ToGrpcStatus(verification.status());
  paraat::v1::ExportEvidenceResponse last;
  *last.mutable_verification() = *verification;
  last.mutable_verification()->set_verified_unix_ns(ToUnixNs(clock->Now()));
  return writer->Write(last, false) ? grpc::Status::OK : kClientGone;
}

// The query API's stream.
class GrpcExportWriter : public ExportWriter {
 public:
  GrpcExportWriter(grpc::ServerContext* context, grpc::ServerWriter<paraat::v1::ExportEvidenceResponse>* writer)
      : context_(context), writer_(writer) {}
  bool Write(const paraat::v1::ExportEvidenceResponse& message, bool more) override {
    // buffer_hint: more follow, gRPC need not flush each message on its own.
    return more ? writer_->Write(message, grpc::WriteOptions().set_buffer_hint()) : writer_->Write(message);
  }
  // IsCancelled() takes a lock gRPC's transport thread holds while it sends: the export asks once
  // a message, not once a record (per record that contention tripled the time).
  bool Cancelled() override { return context_->IsCancelled(); }

 private:
  grpc::ServerContext* context_;
  grpc::ServerWriter<paraat::v1::ExportEvidenceResponse>* writer_;
};

}  // namespace

ExportRouting::ExportRouting(const std::vector<const PlanView*>& plans) {
  for (const PlanView* v : plans) {
    plan_ids_.insert(v->plan->id);
    for (const std::string& key : v->plan->AllSources()) {
      by_source_[key].push_back(v->plan->id);
      auto& agents = by_agent_[key.substr(0, key.find('/'))];
      if (agents.empty() || agents.back() != v->plan->id) agents.push_back(v->plan->id);
    }
  }
}

const std::vector<std::string>* ExportRouting::PlansFor(RecordType type, const paraat::v1::EvidenceRecord& rec) {
  switch (type) {
    case RecordType::kResult: {
      auto it = by_source_.find(SourceKey(rec.result().agent_id(), rec.result().result().check_id()));
      return it != by_source_.end() ? &it->second : nullptr;
    }
    case RecordType::kGap: {
      auto it = by_agent_.find(rec.gap().agent_id());
      return it != by_agent_.end() ? &it->second : nullptr;
    }
    case RecordType::kTransition:
    case RecordType::kExercise:
    case RecordType::kReview:
    case RecordType::kIncident:
    case RecordType::kPlanChange: {
      const std::string& id = type == RecordType::kTransition ? rec.transition().plan_id()
                              : type == RecordType::kExercise ? rec.exercise().plan_id()
                              : type == RecordType::kReview   ? rec.review().plan_id()
                              : type == RecordType::kIncident ? rec.incident().plan_id()
                                                              : rec.plan_change().plan_id();
      if (!plan_ids_.count(id)) return nullptr;
      one_.assign(1, id);
      return &one_;
    }
    case RecordType::kPrune:
    case RecordType::kCheckpoint:
      return &every_;
  }
  return nullptr;
}

grpc::Status EvidenceExport::Run(grpc::ServerContext* ctx, const EvaluationSnapshot& snapshot,
                                 const paraat::v1::ExportEvidenceRequest& req,
                                 grpc::ServerWriter<paraat::v1::ExportEvidenceResponse>* writer) const {
  GrpcExportWriter w(ctx, writer);
  return Run(snapshot, req, &w);
}

grpc::Status EvidenceExport::Run(const EvaluationSnapshot& snapshot, const paraat::v1::ExportEvidenceRequest& req,
                                 Writer* writer) const {
  std::vector<const PlanView*> views;
  if (grpc::Status st = SelectPlans(snapshot, req, &views); !st.ok()) return st;
  const absl::Time now = clock_->Now();
  const absl::Time until = req.until_unix_ns() > 0 ? FromUnixNs(req.until_unix_ns()) : now;
  const absl::Time since = FromUnixNs(req.since_unix_ns());
  if (until < since) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the export range ends before it starts");
  }

  paraat::v1::ExportEvidenceResponse header;
  auto* h = header.mutable_header();
  for (const PlanView* v : views) {
    *h->add_plans() = ToProto(*v->plan);
    *h->add_statuses() = ToPlanStatus(*v, snapshot.at);
  }
  // The whole chain is verified, not only the exported range: a record outside it may be what was
  // edited. In the header, or - when the client takes it last - on another thread while the
  // records stream (the future's destructor waits for it on every return below).
  std::future<Verification> verifying;
  if (req.verification_last()) {
    verifying = std::async(std::launch::async, [this] {
      // Behind the records on a busy collector: the export's own thread comes first.
      (void)LowerThreadPriority(10);  // best effort: the verification runs either way
      return store_->Verify(nullptr);
    });
  } else {
    Verification verification = store_->Verify(nullptr);
    if (!verification.ok()) return ToGrpcStatus(verification.status());
    *h->mutable_verification() = *verification;
    h->mutable_verification()->set_verified_unix_ns(ToUnixNs(now));
  }
  h->set_generated_unix_ns(ToUnixNs(now));
  h->set_collector_version(PARAAT_VERSION);
  std::optional<TreeHead> tree;
  if (signer_.sign) {
    auto signed_tree = Checkpoint(req, h->mutable_checkpoint());
    if (!signed_tree.ok()) return ToGrpcStatus(signed_tree.status());
    tree = *signed_tree;
  }
  if (!writer->Write(header, false)) return kClientGone;

  auto from = store_->FirstSeqAtOrAfter(since);
  if (!from.ok()) return ToGrpcStatus(from.status());
  auto to = store_->FirstSeqAtOrAfter(until + absl::Nanoseconds(1));
  if (!to.ok()) return ToGrpcStatus(to.status());
  // With a checkpoint, the records it covers: each has its proof.
  if (tree) *to = std::min<uint64_t>(*to, tree->first_seq + tree->size);
  if (*to > *from) {
    ExportRouting routing(views);
    if (grpc::Status st = StreamRecords(*from, *to, routing, writer, tree); !st.ok()) return st;
  }
  return SendVerification(verifying, clock_, writer);
}

absl::StatusOr<TreeHead> EvidenceExport::Checkpoint(const paraat::v1::ExportEvidenceRequest& req,
                                                    paraat::v1::ExportCheckpoint* out) const {
  PARAAT_ASSIGN_OR_RETURN(const TreeCheckpoint cp, signer_.sign());
  out->set_note(cp.note);
  out->set_signature(cp.signature);
  out->set_key_id(cp.key_id);
  out->set_timestamp_token(cp.timestamp_token);
  // A follower exports the leader's checkpoint: its own key did not sign it, so it is not offered.
  if (cp.key_id == signer_.key_id) out->set_public_key_pem(signer_.public_key_pem);
  // Consistency from every earlier checkpoint an auditor may hold, and from the sizes asked for.
  PARAAT_ASSIGN_OR_RETURN(const std::vector<TreeCheckpoint> all, store_->TreeCheckpoints());
  std::set<uint64_t> sizes(req.consistency_from().begin(), req.consistency_from().end());
  for (const TreeCheckpoint& c : all) sizes.insert(c.tree_size);
  for (uint64_t size : sizes) {
    if (size == 0 || size >= cp.tree_size) continue;
    Digest root{};
    auto proof = store_->TreeConsistency(size, cp.tree_size, &root);
    if (!proof.ok()) continue;  // pruned beyond what a proof from there needs
    auto* c = out->add_consistency();
    c->set_from_size(size);
    c->set_from_root(std::string(DigestBytes(root)));
    for (const Digest& d : *proof) c->add_path(std::string(DigestBytes(d)));
  }
  PARAAT_ASSIGN_OR_RETURN(TreeHead head, store_->Tree());
  head.size = cp.tree_size;
  return head;
}

grpc::Status EvidenceExport::StreamRecords(uint64_t from_seq, uint64_t to_seq, ExportRouting& routing, Writer* writer,
                                           const std::optional<TreeHead>& tree) const {
  bool client_gone = false;
  paraat::v1::ExportEvidenceResponse out;
  auto* batch = out.mutable_records()->mutable_records();
  int used = 0;  // records of `batch` filled; the rest are kept for reuse
  std::vector<uint64_t> leaves;
  absl::Status proofs_status;
  auto flush = [&] {
    if (used == 0) return true;
    batch->DeleteSubrange(used, batch->size() - used);
    if (tree) {
      leaves.clear();
      for (const auto& er : *batch) leaves.push_back(er.proof().leaf_index());
      auto proofs = store_->InclusionProofs(leaves, tree->size);
      if (!proofs.ok()) {
        proofs_status = proofs.status();
        return false;
      }
      for (int i = 0; i < batch->size(); ++i) {
        auto* path = batch->Mutable(i)->mutable_proof()->mutable_path();
        for (const Digest& d : (*proofs)[i]) path->Add(std::string(DigestBytes(d)));
      }
    }
    const bool ok = writer->Write(out, true);
    used = 0;
    return ok;
  };
  absl::Status scan = store_->Scan(from_seq, to_seq - 1, [&](const StoredRecord& r) {
    auto* er = used < batch->size() ? batch->Mutable(used) : batch->Add();
    er->Clear();
    paraat::v1::EvidenceRecord* rec = er->mutable_record();
    if (!rec->ParseFromString(r.payload)) return true;  // verification reports it
    const std::vector<std::string>* plans = routing.PlansFor(r.type, *rec);
    if (plans == nullptr) return true;
    rec->set_seq(r.seq);
    rec->set_recorded_unix_ns(r.recorded_ns);
    er->set_hash(r.hash);
    for (const std::string& id : *plans) er->add_plan_ids(id);
    if (tree) {
      er->mutable_proof()->set_leaf_index(r.seq - tree->first_seq);
      er->mutable_proof()->set_leaf(CanonicalRecordBytes(r.seq, r.recorded_ns, r.type, r.payload));
    }
    // Cancellation is checked per message, not per record (GrpcExportWriter::Cancelled).
    if (++used == kRecordsPerMessage && (!flush() || writer->Cancelled())) {
      client_gone = true;
      return false;
    }
    return true;
  });
  if (!scan.ok()) return ToGrpcStatus(scan);
  if (!client_gone && !flush()) client_gone = true;
  if (!proofs_status.ok()) return ToGrpcStatus(proofs_status);
  if (client_gone || writer->Cancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "export cancelled");
  return grpc::Status::OK;
}

}  // namespace paraat
