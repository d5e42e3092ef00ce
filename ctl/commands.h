// paraatctl's commands. Each parses its own options and returns the process exit code:
// 0 success, 1 runtime failure (collector unreachable, refused, broken chain, nothing found in
// a range), 2 bad usage (bad options, unknown plan). Messages go to env.err, results to env.out.
// Thread-safety: one command runs at a time, on the caller's thread.
#ifndef PARAAT_CTL_COMMANDS_H_
#define PARAAT_CTL_COMMANDS_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/i18n.h"
#include "ctl/client.h"
#include "paraat/v1/plan.pb.h"

namespace paraat {

struct CtlEnv {
  QueryClient* client;
  std::ostream& out;
  std::ostream& err;
  absl::Time now;
  // The language of the human-readable output and the HTML report (--lang); machine output
  // (--json, CSV, OSCAL) keeps its English keys and status words.
  Lang lang = Lang::kEn;
  absl::TimeZone zone = absl::UTCTimeZone();  // of dates in that output (--tz)
};

// argv[0] is the command word ("status"), the rest its arguments.
int CmdStatus(CtlEnv& env, int argc, char** argv);
int CmdPlans(CtlEnv& env, int argc, char** argv);
int CmdPlanShow(CtlEnv& env, int argc, char** argv);
int CmdEvidenceVerify(CtlEnv& env, int argc, char** argv);
int CmdEvidenceExport(CtlEnv& env, int argc, char** argv);
// evidence verify --export / --against (verify_command.cc).
int CmdEvidenceVerifyProofs(CtlEnv& env, int argc, char** argv);
int CmdExerciseRecord(CtlEnv& env, int argc, char** argv);
int CmdReload(CtlEnv& env, int argc, char** argv);
// ctl/continuity_commands.cc: plan review; incident open|close|report (argv[0] is the
// subcommand word).
int CmdPlanReview(CtlEnv& env, int argc, char** argv);
int CmdIncident(CtlEnv& env, int argc, char** argv);
// The plan's open incident (or one closed with NIS2 reports due): clock, reports, what is next.
void PrintIncident(CtlEnv& env, const paraat::v1::PlanStatus& s, absl::Time now);
int CmdRecoveryOrder(CtlEnv& env, int argc, char** argv);
// The recovery chain's lines of `plan show`: dependencies, own and effective recovery time,
// objectives accepted without evidence.
void PrintRecoveryChain(CtlEnv& env, const paraat::v1::PlanStatus& s);

// Prints a failed call's status and returns its exit code: 2 for InvalidArgument and NotFound
// (the user asked for something wrong), 1 for everything else.
int Fail(CtlEnv& env, const absl::Status& status);

}  // namespace paraat

#endif  // PARAAT_CTL_COMMANDS_H_
