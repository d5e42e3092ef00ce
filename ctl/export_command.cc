#include <fstream>
#include <iostream>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/cli.h"
#include "common/time_util.h"
#include "ctl/commands.h"
#include "google/protobuf/arena.h"
#include "report/export.h"

namespace paraat {

namespace {

struct ExportArgs {
  std::vector<std::string> plans;
  bool all = false;
  std::string format, output;
  absl::Time since, until;
};

std::string ExportUsage() {
  return absl::StrCat(
      "paraatctl evidence export (--plan ID [--plan ID ...] | --all) [--since T] [--until T]\n"
      "                          --format ",
      ExportFormats(),
      " -o FILE\n"
      "  T: 2026-01-01, 2026-01-01T08:00:00Z, or a duration ago such as 30d (default: --since 400d, --until now)\n");
}

// The command line, or InvalidArgument with the problem (a usage error).
absl::StatusOr<ExportArgs> ParseExportArgs(const CtlEnv& env, int argc, char** argv) {
  ExportArgs a;
  std::string since = "400d", until = "now";
  ArgParser p;
  p.Repeated("plan", &a.plans);
  p.Flag("all", &a.all);
  p.Option("since", &since);
  p.Option("until", &until);
  p.Option("format", &a.format);
  p.Option("o", &a.output);
  p.Option("output", &a.output);
  if (auto st = p.Parse(argc, argv); !st.ok()) return st;
  auto bad = [](const std::string& problem) { return absl::InvalidArgumentError(problem); };
  if (!p.positional().empty()) return bad("unexpected argument " + p.positional()[0]);
  if (a.plans.empty() && !a.all) return bad("give --plan ID (repeatable) or --all");
  if (!a.plans.empty() && a.all) return bad("give --plan or --all, not both");
  if (a.format.empty()) return bad(absl::StrCat("--format is required (", ExportFormats(), ")"));
  if (a.output.empty()) return bad("-o FILE is required (- for standard output)");
  auto t_since = ParseTimeArg(since, env.now);
  if (!t_since.ok()) return bad(absl::StrCat("--since: ", t_since.status().message()));
  auto t_until = ParseTimeArg(until, env.now);
  if (!t_until.ok()) return bad(absl::StrCat("--until: ", t_until.status().message()));
  if (*t_until < *t_since) return bad("--until lies before --since");
  a.since = *t_since;
  a.until = *t_until;
  return a;
}

// What the collector's export stream delivered into the sink.
struct Received {
  uint64_t records = 0;
  bool header = false;
  std::optional<bool> chain_ok;
};

// Streams the export into `sink`; the status of the call, or Unavailable when the collector left
// out the header or the chain verification.
absl::Status StreamExport(CtlEnv& env, const ExportArgs& a, ExportSink& sink, Received& got) {
  paraat::v1::ExportEvidenceRequest req;
  for (const auto& id : a.plans) req.add_plan_ids(id);
  req.set_since_unix_ns(ToUnixNs(a.since));
  req.set_until_unix_ns(ToUnixNs(a.until));
  // CSV streams straight to the file and says nothing of the chain: take the verification last,
  // so the collector verifies while it sends. The reports state it up front and need it first.
  req.set_verification_last(a.format == "csv");
  auto ctx = env.client->Context(absl::ZeroDuration());
  auto reader = env.client->stub().ExportEvidence(ctx.get(), req);
  // Each message is parsed into an arena emptied before the next: hundreds of records a
  // message, each with a dozen strings, otherwise cost more in malloc/free than in CSV.
  google::protobuf::Arena arena;
  while (true) {
    arena.Reset();
    auto* m = google::protobuf::Arena::CreateMessage<paraat::v1::ExportEvidenceResponse>(&arena);
    if (!reader->Read(m)) break;
    const paraat::v1::ExportEvidenceResponse& msg = *m;
    if (msg.has_header()) {
      got.header = true;
      if (msg.header().has_verification()) got.chain_ok = msg.header().verification().ok();
      sink.Header(msg.header());
    } else if (msg.has_verification()) {
      got.chain_ok = msg.verification().ok();
    } else if (msg.has_records()) {
      for (const auto& r : msg.records().records()) sink.Record(r);
      got.records += static_cast<uint64_t>(msg.records().records_size());
    } else if (msg.has_record()) {
      sink.Record(msg.record());
      ++got.records;
    }
  }
  grpc::Status gs = reader->Finish();
  if (!gs.ok()) return FromGrpc(gs, env.client->target());
  if (!got.header) return absl::UnavailableError("the collector sent no export header");
  if (!got.chain_ok) return absl::UnavailableError("the collector sent no chain verification");
  return absl::OkStatus();
}

// The summary line on standard error, and the exit code: 1 when nothing was exported or the
// chain did not verify.
int Summarize(CtlEnv& env, const ExportArgs& a, const Received& got) {
  const std::string what = a.all ? "all plans" : absl::StrCat("plan ", absl::StrJoin(a.plans, ", "));
  const bool to_stdout = a.output == "-";
  if (got.records == 0) {
    env.err << "paraatctl: no evidence recorded for " << what << " between " << FormatTimeUtc(a.since) << " and "
            << FormatTimeUtc(a.until) << (to_stdout ? "" : absl::StrCat("; ", a.output, " holds only the header"))
            << "\n";
    return 1;
  }
  env.err << "exported " << got.records << " evidence records for " << what << " (" << FormatTimeUtc(a.since) << " to "
          << FormatTimeUtc(a.until) << ")" << (to_stdout ? "" : absl::StrCat(" to ", a.output)) << "; evidence chain "
          << (*got.chain_ok       ? "verified"
              : a.format == "csv" ? "BROKEN (paraatctl evidence verify says where)"
                                  : "BROKEN (see the report)")
          << "\n";
  return *got.chain_ok ? 0 : 1;
}

}  // namespace

int CmdEvidenceExport(CtlEnv& env, int argc, char** argv) {
  auto usage_error = [&](absl::string_view problem) {
    env.err << "paraatctl: " << problem << "\n\nUsage: " << ExportUsage();
    return 2;
  };
  absl::StatusOr<ExportArgs> args = ParseExportArgs(env, argc, argv);
  if (!args.ok()) return usage_error(args.status().message());
  const ExportArgs& a = *args;

  // A file is written as FILE.partial and renamed once complete, so FILE is never half an export.
  std::ofstream file;
  std::ostream* out = &std::cout;
  const std::string tmp = a.output + ".partial";
  if (a.output != "-") {
    file.open(tmp, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(env, absl::InvalidArgumentError(absl::StrCat("cannot write ", a.output)));
    out = &file;
  }
  // A CSV export's proofs go to its sidecar, FILE.proof.jsonl (docs/evidence-format.md §5).
  std::ofstream proof_file;
  const std::string proof_path = a.output + ".proof.jsonl", proof_tmp = proof_path + ".partial";
  const bool sidecar = a.format == "csv" && a.output != "-";
  if (sidecar) {
    proof_file.open(proof_tmp, std::ios::binary | std::ios::trunc);
    if (!proof_file) return Fail(env, absl::InvalidArgumentError(absl::StrCat("cannot write ", proof_path)));
  }
  auto sink = MakeExportSink(a.format, *out, sidecar ? &proof_file : nullptr, env.lang, env.zone);
  if (!sink) return usage_error(absl::StrCat("--format must be one of ", ExportFormats()));

  Received got;
  if (absl::Status st = StreamExport(env, a, *sink, got); !st.ok()) {
    if (a.output != "-") std::remove(tmp.c_str());
    if (sidecar) std::remove(proof_tmp.c_str());
    return Fail(env, st);
  }
  sink->Finish(a.since, a.until);
  if (a.output != "-") {
    file.close();
    if (!file || std::rename(tmp.c_str(), a.output.c_str()) != 0) {
      return Fail(env, absl::InternalError(absl::StrCat("cannot write ", a.output)));
    }
  }
  if (sidecar) {
    proof_file.close();
    if (!proof_file || std::rename(proof_tmp.c_str(), proof_path.c_str()) != 0) {
      return Fail(env, absl::InternalError(absl::StrCat("cannot write ", proof_path)));
    }
  }
  return Summarize(env, a, got);
}

}  // namespace paraat
