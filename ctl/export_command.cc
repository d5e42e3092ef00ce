#include <fstream>
#include <iostream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/cli.h"
#include "common/time_util.h"
#include "ctl/commands.h"
#include "ctl/export.h"
#include "google/protobuf/arena.h"

namespace paraat {

int CmdEvidenceExport(CtlEnv& env, int argc, char** argv) {
  const std::string usage = absl::StrCat(
      "paraatctl evidence export (--plan ID [--plan ID ...] | --all) [--since T] [--until T]\n"
      "                          --format ",
      ExportFormats(),
      " -o FILE\n"
      "  T: 2026-01-01, 2026-01-01T08:00:00Z, or a duration ago such as 30d (default: --since 400d, --until now)\n");
  std::vector<std::string> plans;
  std::string since = "400d", until = "now", format, output;
  bool all = false;
  ArgParser p;
  p.Repeated("plan", &plans);
  p.Flag("all", &all);
  p.Option("since", &since);
  p.Option("until", &until);
  p.Option("format", &format);
  p.Option("o", &output);
  p.Option("output", &output);
  auto usage_error = [&](const std::string& problem) {
    env.err << "paraatctl: " << problem << "\n\nUsage: " << usage;
    return 2;
  };
  if (auto st = p.Parse(argc, argv); !st.ok()) return usage_error(std::string(st.message()));
  if (!p.positional().empty()) return usage_error("unexpected argument " + p.positional()[0]);
  if (plans.empty() && !all) return usage_error("give --plan ID (repeatable) or --all");
  if (!plans.empty() && all) return usage_error("give --plan or --all, not both");
  if (format.empty()) return usage_error(absl::StrCat("--format is required (", ExportFormats(), ")"));
  if (output.empty()) return usage_error("-o FILE is required (- for standard output)");
  auto t_since = ParseTimeArg(since, env.now);
  if (!t_since.ok()) return usage_error(absl::StrCat("--since: ", t_since.status().message()));
  auto t_until = ParseTimeArg(until, env.now);
  if (!t_until.ok()) return usage_error(absl::StrCat("--until: ", t_until.status().message()));
  if (*t_until < *t_since) return usage_error("--until lies before --since");

  std::ofstream file;
  std::ostream* out = &std::cout;
  const std::string tmp = output + ".partial";
  if (output != "-") {
    file.open(tmp, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(env, absl::InvalidArgumentError(absl::StrCat("cannot write ", output)));
    out = &file;
  }
  auto sink = MakeExportSink(format, *out);
  if (!sink) return usage_error(absl::StrCat("--format must be one of ", ExportFormats()));

  paraat::v1::ExportEvidenceRequest req;
  for (const auto& id : plans) req.add_plan_ids(id);
  req.set_since_unix_ns(ToUnixNs(*t_since));
  req.set_until_unix_ns(ToUnixNs(*t_until));
  // CSV streams straight to the file and says nothing of the chain: take the verification last,
  // so the collector verifies while it sends. The reports state it up front and need it first.
  req.set_verification_last(format == "csv");
  auto ctx = env.client->Context(absl::ZeroDuration());
  auto reader = env.client->stub().ExportEvidence(ctx.get(), req);
  // Each message is parsed into an arena emptied before the next: hundreds of records a
  // message, each with a dozen strings, otherwise cost more in malloc/free than in CSV.
  google::protobuf::Arena arena;
  uint64_t records = 0;
  bool header = false;
  std::optional<bool> chain_ok;
  while (true) {
    arena.Reset();
    auto* m = google::protobuf::Arena::CreateMessage<paraat::v1::ExportEvidenceResponse>(&arena);
    if (!reader->Read(m)) break;
    const paraat::v1::ExportEvidenceResponse& msg = *m;
    if (msg.has_header()) {
      header = true;
      if (msg.header().has_verification()) chain_ok = msg.header().verification().ok();
      sink->Header(msg.header());
    } else if (msg.has_verification()) {
      chain_ok = msg.verification().ok();
    } else if (msg.has_records()) {
      for (const auto& r : msg.records().records()) sink->Record(r);
      records += static_cast<uint64_t>(msg.records().records_size());
    } else if (msg.has_record()) {
      sink->Record(msg.record());
      ++records;
    }
  }
  grpc::Status gs = reader->Finish();
  if (!gs.ok() || !header || !chain_ok) {
    if (output != "-") std::remove(tmp.c_str());
    return Fail(env, !gs.ok()  ? FromGrpc(gs, env.client->target())
                     : !header ? absl::UnavailableError("the collector sent no export header")
                               : absl::UnavailableError("the collector sent no chain verification"));
  }
  sink->Finish(*t_since, *t_until);
  if (output != "-") {
    file.close();
    if (!file || std::rename(tmp.c_str(), output.c_str()) != 0) {
      return Fail(env, absl::InternalError(absl::StrCat("cannot write ", output)));
    }
  }
  const std::string what = all ? "all plans" : absl::StrCat("plan ", absl::StrJoin(plans, ", "));
  if (records == 0) {
    env.err << "paraatctl: no evidence recorded for " << what << " between " << FormatTimeUtc(*t_since) << " and "
            << FormatTimeUtc(*t_until) << (output == "-" ? "" : absl::StrCat("; ", output, " holds only the header"))
            << "\n";
    return 1;
  }
  env.err << "exported " << records << " evidence records for " << what << " (" << FormatTimeUtc(*t_since) << " to "
          << FormatTimeUtc(*t_until) << ")" << (output == "-" ? "" : absl::StrCat(" to ", output))
          << "; evidence chain "
          << (*chain_ok         ? "verified"
              : format == "csv" ? "BROKEN (paraatctl evidence verify says where)"
                                : "BROKEN (see the report)")
          << "\n";
  return *chain_ok ? 0 : 1;
}

}  // namespace paraat
