// Copies kept apart (the 3-2-1-1-0 rule: 3 copies, 2 media, 1 off-site, 1 immutable or offline,
// 0 errors), counted from what the plan's recovery point sources verified, not declared:
//   a copy       a recovery_point source whose latest result is fresh, passing and names a
//                recovery point (0 errors: a failed or corrupt one does not count)
//   its media    its check's label `media` (disk, tape, object-storage...)
//   off-site     its check's label `location` differs from the plan's `copies.site`; without a
//                site, each location beyond the first counts once
//   immutable    the agent verified it cannot be deleted with ordinary rights (facts.immutable:
//                chattr +i or a read-only mount, borg append_only, a restic rest-server
//                declared append-only)
// A plan's `copies: {min: 3, offsite: 1, immutable: 1, media: 2}` below what is counted is
// not_ready, reason copies_insufficient. Pure.
#ifndef PARAAT_COLLECTOR_EVALUATION_POSTURE_H_
#define PARAAT_COLLECTOR_EVALUATION_POSTURE_H_

#include "absl/time/time.h"
#include "collector/evaluation/evaluator.h"
#include "collector/evaluation/plan.h"
#include "common/yaml_reader.h"

namespace paraat {

void ParseCopies(YamlMap& doc, ForesightPolicy* out);
CopiesCount CountCopies(const Plan& plan, const EvidenceView& evidence, absl::Time now);
// Sets out->foresight.copies and adds copies_insufficient.
void EvaluateCopies(const Plan& plan, const EvidenceView& evidence, absl::Time now, Evaluation* out);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_POSTURE_H_
