// paraatctl: status, plans, evidence and exercises, from a collector's query API.
#include <cstdlib>
#include <iostream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/cli.h"
#include "common/i18n.h"
#include "common/version.h"
#include "ctl/client.h"
#include "ctl/commands.h"

namespace {

constexpr char kUsage[] = R"(Usage: paraatctl [--collector ADDR] [TLS options] COMMAND [ARGS]

Commands:
  status [--json]                   every plan: state, achieved RPO vs target, last restore
                                    test vs RTO, next test due, reasons (worst first)
  plans                             the plans with their objectives and controls
  plan show ID [--json]             one plan: objectives, tests, reasons, and each source's
                                    latest result
  evidence verify                   recompute the evidence hash chain; report the first
                                    broken record
  evidence export (--plan ID | --all) [--since T] [--until T] --format FORMAT -o FILE
                                    evidence for auditors (FORMAT: csv, json, oscal, html)
  exercise record --plan ID --kind tabletop|failover|restore --date DATE
                  --outcome passed|failed [--notes TEXT] [--duration D] [--attachment FILE]
                                    record an exercise people carried out
  exercise record --plan ID --kind training --date DATE --participants N --topic TEXT
                                    record a training or awareness session
  plan review --plan ID --by NAME [--notes TEXT] [--attachment FILE]
                                    record that the plan was reviewed (as its file is now)
  incident open --plan ID --summary TEXT [--started T] [--significant]
                                    start an incident's clock: elapsed time against RTO and
                                    MTPD; for a significant one the NIS2 reports (24h, 72h,
                                    one month)
  incident close --plan ID [--recovered T] [--notes TEXT]
                                    the service is back: the recovery time is evidence
  incident report --plan ID --kind early-warning|notification|final [--at T]
                                    record that a NIS2 report was made
  recovery-order [--plan ID] [--json]
                                    the plans in the order they recover, with own and
                                    effective (measured, chained) recovery time, RTO, MTPD,
                                    and the critical path
  reload                            make the collector re-read its plans

Options:
  --collector ADDR    collector gRPC address (default $PARAAT_COLLECTOR or localhost:7443)
  --ca FILE           CA certificate: use TLS
  --cert FILE --key FILE   client certificate for mutual TLS
  --token-file FILE   bearer token for the query API
  --insecure          allow plaintext to a non-loopback collector
  --lang nl|en        language of the output for people and of the HTML report (default
                      from LC_ALL or LANG, else en); --json, CSV and OSCAL stay as they are
  --tz ZONE           time zone of dates in that output and the HTML report, e.g.
                      Europe/Amsterdam (default UTC); machine output stays in UTC
  --version, -h/--help

Exit codes: 0 success, 1 runtime failure (collector unreachable, chain broken, nothing to
export), 2 bad usage (unknown option, unknown plan, malformed time).
)";

// --lang (else LC_ALL, then LANG) and --tz; false after saying what is wrong.
bool LangAndZone(const std::string& lang_arg, const std::string& tz_arg, paraat::Lang* lang, absl::TimeZone* zone) {
  if (!lang_arg.empty()) {
    std::optional<paraat::Lang> l = paraat::ParseLang(lang_arg);
    if (!l) {
      std::cerr << "paraatctl: --lang: \"" << lang_arg << "\" is not nl or en\n\n" << kUsage;
      return false;
    }
    *lang = *l;
  } else {
    // POSIX order: LC_ALL overrides LANG; "C", "C.UTF-8" or an other language mean English.
    for (const char* var : {"LC_ALL", "LANG"}) {
      const char* v = std::getenv(var);
      if (v == nullptr || *v == '\0') continue;
      *lang = paraat::ParseLang(v).value_or(paraat::Lang::kEn);
      break;
    }
  }
  if (tz_arg.empty()) return true;
  auto z = paraat::LoadZone(tz_arg);
  if (!z.ok()) {
    std::cerr << "paraatctl: --tz: " << z.status().message() << "\n\n" << kUsage;
    return false;
  }
  *zone = *z;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  paraat::ClientOptions options;
  if (const char* env = std::getenv("PARAAT_COLLECTOR"); env && *env) options.collector = env;
  bool help = false, version = false;
  std::string lang_arg, tz_arg;
  paraat::ArgParser args;
  args.Option("collector", &options.collector);
  args.Option("ca", &options.ca);
  args.Option("cert", &options.cert);
  args.Option("key", &options.key);
  args.Option("token-file", &options.token_file);
  args.Flag("insecure", &options.insecure);
  args.Option("lang", &lang_arg);
  args.Option("tz", &tz_arg);
  args.Flag("help", &help);
  args.Flag("version", &version);
  if (auto st = args.Parse(argc, argv, 1, /*stop_at_command=*/true); !st.ok()) {
    std::cerr << "paraatctl: " << st.message() << "\n\n" << kUsage;
    return 2;
  }
  if (help) {
    std::cout << kUsage;
    return 0;
  }
  if (version) {
    std::cout << "paraatctl " << PARAAT_VERSION << "\n";
    return 0;
  }
  paraat::Lang lang = paraat::Lang::kEn;
  absl::TimeZone zone = absl::UTCTimeZone();
  if (!LangAndZone(lang_arg, tz_arg, &lang, &zone)) return 2;
  int rest = args.rest();
  if (rest >= argc) {
    std::cerr << "paraatctl: no command given\n\n" << kUsage;
    return 2;
  }
  const std::string cmd = argv[rest];
  const std::string sub = rest + 1 < argc ? argv[rest + 1] : "";
  using Fn = int (*)(paraat::CtlEnv&, int, char**);
  Fn fn = nullptr;
  int skip = 1;
  if (cmd == "status") {
    fn = paraat::CmdStatus;
  } else if (cmd == "plans") {
    fn = paraat::CmdPlans;
  } else if (cmd == "plan" && sub == "show") {
    fn = paraat::CmdPlanShow;
    skip = 2;
  } else if (cmd == "evidence" && sub == "verify") {
    fn = paraat::CmdEvidenceVerify;
    skip = 2;
  } else if (cmd == "evidence" && sub == "export") {
    fn = paraat::CmdEvidenceExport;
    skip = 2;
  } else if (cmd == "exercise" && sub == "record") {
    fn = paraat::CmdExerciseRecord;
    skip = 2;
  } else if (cmd == "plan" && sub == "review") {
    fn = paraat::CmdPlanReview;
    skip = 2;
  } else if (cmd == "incident" && (sub == "open" || sub == "close" || sub == "report")) {
    fn = paraat::CmdIncident;
    skip = 2;
  } else if (cmd == "recovery-order") {
    fn = paraat::CmdRecoveryOrder;
  } else if (cmd == "reload") {
    fn = paraat::CmdReload;
  } else if (cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (fn == nullptr) {
    std::cerr << "paraatctl: unknown command \"" << cmd << (sub.empty() || cmd == "status" ? "" : " " + sub) << "\"\n\n"
              << kUsage;
    return 2;
  }
  auto client = paraat::QueryClient::Connect(options);
  if (!client.ok()) {
    std::cerr << "paraatctl: " << client.status().message() << "\n";
    return 2;
  }
  paraat::CtlEnv env{client->get(), std::cout, std::cerr, absl::Now()};
  env.lang = lang;
  env.zone = zone;
  // Commands parse argv from their own first argument on; argv[0] of that view is the command word.
  return fn(env, argc - (rest + skip - 1), argv + (rest + skip - 1));
}
