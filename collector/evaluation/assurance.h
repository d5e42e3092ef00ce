// Assurance: per plan and objective, how strong the evidence is (docs/design.md, "Assurance").
// A pure function of facts the evaluator gathers from fresh, usable evidence only: a stale or
// failed source, a test that failed last or is overdue, counts for nothing.
//
//   0 declared   the objective is written in the plan file, nothing shows it (also: accepted
//                without evidence, accept_unevidenced)
//   1 monitored  metadata only: a usable recovery point (a file exists, a snapshot is listed)
//                for the RPO; a failover target that reports ready for the RTO
//   2 verified   bytes read back and checked: a fresh source reports INTEGRITY_VERIFIED (RPO), or
//                a restore test passed without validating what it restored (both)
//   3 restored   the latest restore test from a source succeeded with validation
//                (restore_succeeded) and is not overdue (both)
//   4 exercised  people did it: the latest recorded restore exercise passed, or a real incident
//                recovery (both); the latest failover exercise passed with the target ready (RTO)
//
// Each objective's level is the strongest that applies. Plans may require a minimum
// (`require: {rpo: verified, rto: restored}`); below it the plan is at best unknown
// (reason assurance_below_required).
#ifndef PARAAT_COLLECTOR_EVALUATION_ASSURANCE_H_
#define PARAAT_COLLECTOR_EVALUATION_ASSURANCE_H_

#include <optional>
#include <string>

namespace paraat {

enum class Assurance { kDeclared = 0, kMonitored = 1, kVerified = 2, kRestored = 3, kExercised = 4 };

// "declared", "monitored", "verified", "restored", "exercised" (also the catalogue's
// assurance.NAME keys).
const char* AssuranceName(Assurance level);
// The level named `name`; nullopt for any other word.
std::optional<Assurance> AssuranceFromName(const std::string& name);
// "declared, monitored, verified, restored or exercised", for plan file errors.
std::string AssuranceNames();

// What the evaluator found, each only from fresh, usable evidence.
struct AssuranceFacts {
  bool recovery_point = false;       // a usable recovery point
  bool integrity_verified = false;   // a fresh source reports INTEGRITY_VERIFIED, none corrupt
  bool failover_ready = false;       // every failover target reports ready
  bool restore_unvalidated = false;  // latest restore test passed, not overdue, not validated
  bool restore_validated = false;    // ... passed with validation, not overdue
  bool restore_exercised = false;    // latest restore exercise passed, or an incident recovered
  bool failover_exercised = false;   // latest failover exercise passed, target ready, not overdue
};

struct AssuranceLevels {
  Assurance rpo = Assurance::kDeclared;
  Assurance rto = Assurance::kDeclared;
  bool operator==(const AssuranceLevels&) const = default;
};

AssuranceLevels AssessAssurance(const AssuranceFacts& facts);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_ASSURANCE_H_
