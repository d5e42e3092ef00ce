// An evidence export (paraatctl evidence export, QueryService.ExportEvidence) as a stream: a
// header with the plans' definitions and status, every record of the time range that concerns
// the exported plans, each marked with the plans it is evidence for, and the verification of the
// whole chain, in the header or, when the client asks, last.
//
// Thread-safety: Run() may be called from many threads at once.
#ifndef PARAAT_COLLECTOR_SERVING_EVIDENCE_EXPORT_H_
#define PARAAT_COLLECTOR_SERVING_EVIDENCE_EXPORT_H_

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "collector/evaluation/evaluation_loop.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "paraat/v1/query.grpc.pb.h"

namespace paraat {

// Which of the exported plans a record is evidence for: a result for the plans that name its
// source, a gap for the plans with a source on its agent, a transition, exercise or plan change
// for its own plan, a prune for every plan.
class ExportRouting {
 public:
  explicit ExportRouting(const std::vector<const PlanView*>& plans);
  // The plan ids `record` concerns (empty: every plan), or null when it concerns none of the
  // exported plans. Valid until the next call. Not thread-safe.
  const std::vector<std::string>* PlansFor(RecordType type, const paraat::v1::EvidenceRecord& record);

 private:
  std::map<std::string, std::vector<std::string>> by_source_;
  std::map<std::string, std::vector<std::string>> by_agent_;
  std::set<std::string> plan_ids_;
  std::vector<std::string> one_;
  const std::vector<std::string> every_;
};

// Where an export goes: the query API's stream, or a download from the web console.
class ExportWriter {
 public:
  virtual ~ExportWriter() = default;
  // False when the receiver went away. `more`: further messages follow at once.
  virtual bool Write(const paraat::v1::ExportEvidenceResponse& message, bool more) = 0;
  virtual bool Cancelled() = 0;
};

// Signs the checkpoint an export proves itself against (collector/ingest/notary.h).
struct ExportSigner {
  std::function<absl::StatusOr<TreeCheckpoint>()> sign;  // unset: exports carry no proof
  std::string public_key_pem;
  std::string key_id;  // of public_key_pem: exports carry it only with a checkpoint that key signed
};

class EvidenceExport {
 public:
  EvidenceExport(Store* store, const Clock* clock, ExportSigner signer = {})
      : store_(store), clock_(clock), signer_(std::move(signer)) {}

  // Streams the export `request` asks for, of the plans in `snapshot`. NOT_FOUND for an unknown
  // plan id, INVALID_ARGUMENT for a range that ends before it starts, CANCELLED when the client
  // went away; the store's errors as they are.
  grpc::Status Run(grpc::ServerContext* context, const EvaluationSnapshot& snapshot,
                   const paraat::v1::ExportEvidenceRequest& request,
                   grpc::ServerWriter<paraat::v1::ExportEvidenceResponse>* writer) const;
  grpc::Status Run(const EvaluationSnapshot& snapshot, const paraat::v1::ExportEvidenceRequest& request,
                   ExportWriter* writer) const;

 private:
  // Streams records from_seq <= seq < to_seq that concern the plans, many to a message; with a
  // checkpoint (`tree`: its first seq and size), each with its inclusion proof.
  grpc::Status StreamRecords(uint64_t from_seq, uint64_t to_seq, ExportRouting& routing, ExportWriter* writer,
                             const std::optional<TreeHead>& tree) const;
  // Signs a checkpoint and fills the header's proof of it; the tree it covers.
  absl::StatusOr<TreeHead> Checkpoint(const paraat::v1::ExportEvidenceRequest& req,
                                      paraat::v1::ExportCheckpoint* out) const;

  Store* const store_;
  const Clock* const clock_;
  const ExportSigner signer_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_EVIDENCE_EXPORT_H_
