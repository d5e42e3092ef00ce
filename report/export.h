// Evidence exports: the collector streams the header (plans, their status, the chain
// verification) and then the records; a sink renders them as they arrive, so exports of
// millions of records need no more memory than one record (CSV, JSON) or one summary per plan
// (OSCAL, HTML).
//
// Errors: sinks cannot fail; they write to the stream they were given, and the caller checks
// that stream after Finish(). Thread-safety: a sink is used by one thread.
#ifndef PARAAT_REPORT_EXPORT_H_
#define PARAAT_REPORT_EXPORT_H_

#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/i18n.h"
#include "nlohmann/json_fwd.hpp"
#include "paraat/v1/query.pb.h"

namespace paraat {

class ExportSink {
 public:
  virtual ~ExportSink() = default;
  virtual void Header(const paraat::v1::ExportHeader& header) = 0;
  virtual void Record(const paraat::v1::ExportedRecord& record) = 0;
  // Writes what remains. `since`/`until` are the requested range.
  virtual void Finish(absl::Time since, absl::Time until) = 0;
};

// "csv", "json", "oscal", "html"; nullptr for an unknown format. A CSV export writes its proof
// sidecar (docs/evidence-format.md §5) to `proof_out` when given. `lang`, `zone`: the language and
// time zone of the html report (the other formats are for machines, in English and UTC).
std::unique_ptr<ExportSink> MakeExportSink(const std::string& format, std::ostream& out,
                                           std::ostream* proof_out = nullptr, Lang lang = Lang::kEn,
                                           absl::TimeZone zone = absl::UTCTimeZone());
const char* ExportFormats();  // "csv|json|oscal|html"

// Shared by the renderers.
std::string StatusWord(paraat::v1::CheckStatus status);
std::string IntegrityWord(paraat::v1::Integrity integrity);
void AppendCsvField(std::string* out, absl::string_view value);
// A record as the JSON export writes it, without its proof: also what `paraatctl evidence
// verify` compares with the record's leaf data.
nlohmann::json RecordJson(const paraat::v1::ExportedRecord& record);

}  // namespace paraat

#endif  // PARAAT_REPORT_EXPORT_H_
