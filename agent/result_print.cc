#include "agent/result_print.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/check.h"
#include "common/text.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

std::string FormatResult(const paraat::v1::Result& r, absl::Time now) {
  // Tools' text reaches the operator's terminal: controls shown, never acted on (common/text.h).
  std::string out =
      absl::StrCat(OneLine(r.check_id()), " (", OneLine(r.kind()), "): ", absl::AsciiStrToUpper(StatusName(r.status())),
                   "  ", OneLine(r.message()), "  [", HumanDuration(FromNs(r.duration_ns())), "]\n");
  std::vector<std::string> facts;
  const auto& f = r.facts();
  if (f.has_recovery_point_unix_ns()) {
    absl::Time rp = FromUnixNs(f.recovery_point_unix_ns());
    facts.push_back(absl::StrCat("recovery point ", FormatTimeUtc(rp), " (", HumanDuration(now - rp), " ago)"));
  }
  switch (f.integrity()) {
    case paraat::v1::INTEGRITY_VERIFIED:
      facts.push_back("integrity verified");
      break;
    case paraat::v1::INTEGRITY_UNVERIFIED:
      facts.push_back("integrity unverified");
      break;
    case paraat::v1::INTEGRITY_CORRUPT:
      facts.push_back("integrity CORRUPT");
      break;
    default:
      break;
  }
  if (f.has_verified_bytes()) facts.push_back(absl::StrCat("verified ", HumanSize(f.verified_bytes())));
  if (f.has_coverage()) facts.push_back(absl::StrFormat("coverage %.0f%%", f.coverage() * 100));
  if (f.has_restore_duration_seconds()) {
    facts.push_back(absl::StrCat("restore took ", HumanDuration(absl::Seconds(f.restore_duration_seconds()))));
  }
  if (f.has_replication_lag_seconds()) {
    facts.push_back(absl::StrFormat("replication lag %.1fs", f.replication_lag_seconds()));
  }
  if (f.has_ready()) facts.push_back(f.ready() ? "ready" : "NOT ready");
  if (f.has_free_bytes()) facts.push_back(absl::StrCat("free ", HumanSize(f.free_bytes())));
  if (f.has_backup_bytes() || f.has_backup_files()) {
    facts.push_back(absl::StrCat("backup ", f.has_backup_bytes() ? HumanSize(f.backup_bytes()) : "",
                                 f.has_backup_bytes() && f.has_backup_files() ? ", " : "",
                                 f.has_backup_files() ? absl::StrCat(f.backup_files(), " files") : ""));
  }
  if (!facts.empty()) absl::StrAppend(&out, "    ", absl::StrJoin(facts, " · "), "\n");
  for (const auto& d : r.details()) absl::StrAppend(&out, "    ", OneLine(d.key()), ": ", OneLine(d.value()), "\n");
  if (!r.output_tail().empty()) {
    absl::StrAppend(&out, "    output (last lines):\n");
    for (absl::string_view line : absl::StrSplit(r.output_tail(), '\n')) {
      absl::StrAppend(&out, "      ", OneLine(line), "\n");
    }
  }
  return out;
}

}  // namespace paraat
