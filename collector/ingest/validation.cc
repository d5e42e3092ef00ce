#include "collector/ingest/validation.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/i18n.h"
#include "common/ids.h"
#include "common/time_util.h"

namespace paraat {
namespace {

absl::Status Invalid(const std::string& where, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", problem));
}
absl::Status TooMuch(const std::string& where, size_t have, size_t limit) {
  return absl::ResourceExhaustedError(absl::StrCat(where, ": ", have, " exceeds the limit of ", limit));
}

absl::Status CheckLabels(const google::protobuf::RepeatedPtrField<paraat::v1::Label>& labels, const std::string& where,
                         const IngestLimits& limits) {
  if (static_cast<size_t>(labels.size()) > limits.max_labels) return TooMuch(where, labels.size(), limits.max_labels);
  for (int i = 0; i < labels.size(); ++i) {
    const auto& l = labels[i];
    std::string at = absl::StrCat(where, "[", i, "]");
    if (l.name().empty() || l.name().size() > limits.max_label || l.value().size() > limits.max_label) {
      return Invalid(at, "label names must be 1 to 256 bytes, values at most 256");
    }
  }
  return absl::OkStatus();
}

bool Finite(double v) { return std::isfinite(v); }

absl::Status CheckResult(const paraat::v1::Result& r, const std::string& where, const IngestLimits& limits) {
  if (!IsValidId(r.check_id())) return Invalid(where + ".check_id", absl::StrCat("not a valid id (", IdRule(), ")"));
  if (r.kind().empty() || r.kind().size() > limits.max_kind) return Invalid(where + ".kind", "must be 1 to 64 bytes");
  if (r.status() < paraat::v1::CHECK_STATUS_OK || r.status() > paraat::v1::CHECK_STATUS_ERROR) {
    return Invalid(where + ".status", "must be ok, warning, failed or error");
  }
  if (r.started_unix_ns() <= 0) return Invalid(where + ".started_unix_ns", "must be set");
  if (r.duration_ns() < 0) return Invalid(where + ".duration_ns", "must not be negative");
  if (r.interval_ns() < 0) return Invalid(where + ".interval_ns", "must not be negative");
  if (r.message().size() > limits.max_message)
    return TooMuch(where + ".message", r.message().size(), limits.max_message);
  if (r.output_tail().size() > limits.max_output_tail) {
    return TooMuch(where + ".output_tail", r.output_tail().size(), limits.max_output_tail);
  }
  if (static_cast<size_t>(r.details_size()) > limits.max_details) {
    return TooMuch(where + ".details", r.details_size(), limits.max_details);
  }
  for (const auto& d : r.details()) {
    if (d.key().empty() || d.key().size() > limits.max_id || d.value().size() > limits.max_detail_value ||
        d.raw_value().size() > limits.max_detail_value) {
      return Invalid(where + ".details", "keys must be 1 to 128 bytes, values at most 4096");
    }
  }
  if (static_cast<size_t>(r.values_size()) > limits.max_values) {
    return TooMuch(where + ".values", r.values_size(), limits.max_values);
  }
  for (const auto& v : r.values()) {
    if (v.name().empty() || v.name().size() > limits.max_id || v.unit().size() > 16 || !Finite(v.value())) {
      return Invalid(where + ".values", "names must be 1 to 128 bytes, units at most 16, values finite");
    }
  }
  const auto& f = r.facts();
  if (f.has_coverage() && !(f.coverage() >= 0 && f.coverage() <= 1)) {
    return Invalid(where + ".facts.coverage", "must lie in 0..1");
  }
  if (f.has_restore_duration_seconds() &&
      !(Finite(f.restore_duration_seconds()) && f.restore_duration_seconds() >= 0)) {
    return Invalid(where + ".facts.restore_duration_seconds", "must be a non-negative number");
  }
  if (f.has_replication_lag_seconds() && !Finite(f.replication_lag_seconds())) {
    return Invalid(where + ".facts.replication_lag_seconds", "must be a number");
  }
  if (f.has_free_ratio() && !(f.free_ratio() >= 0 && f.free_ratio() <= 1)) {
    return Invalid(where + ".facts.free_ratio", "must lie in 0..1");
  }
  if (f.integrity() < paraat::v1::INTEGRITY_UNSPECIFIED || f.integrity() > paraat::v1::INTEGRITY_CORRUPT) {
    return Invalid(where + ".facts.integrity", "unknown value");
  }
  return CheckLabels(r.labels(), where + ".labels", limits);
}

}  // namespace

absl::Status ValidateHello(const paraat::v1::Hello& hello, const IngestLimits& limits) {
  if (!IsValidId(hello.agent_id())) return Invalid("hello.agent_id", absl::StrCat("not a valid id (", IdRule(), ")"));
  if (hello.version().size() > limits.max_id) return Invalid("hello.version", "too long");
  if (hello.hostname().size() > 255) return Invalid("hello.hostname", "too long");
  if (static_cast<size_t>(hello.checks_size()) > limits.max_checks) {
    return TooMuch("hello.checks", hello.checks_size(), limits.max_checks);
  }
  for (int i = 0; i < hello.checks_size(); ++i) {
    const auto& c = hello.checks(i);
    if (!IsValidId(c.id()) || c.kind().empty() || c.kind().size() > limits.max_kind || c.interval_ns() < 0) {
      return Invalid(absl::StrCat("hello.checks[", i, "]"), "needs a valid id, a kind and a non-negative interval");
    }
  }
  return CheckLabels(hello.labels(), "hello.labels", limits);
}

absl::Status ValidateBatch(const paraat::v1::ResultBatch& batch, const IngestLimits& limits) {
  if (batch.sequence() == 0) return Invalid("batch.sequence", "must be set (sequences start at 1)");
  if (static_cast<size_t>(batch.results_size()) > limits.max_results_per_batch) {
    return TooMuch("batch.results", batch.results_size(), limits.max_results_per_batch);
  }
  if (static_cast<size_t>(batch.gaps_size()) > limits.max_gaps_per_batch) {
    return TooMuch("batch.gaps", batch.gaps_size(), limits.max_gaps_per_batch);
  }
  if (batch.results_size() == 0 && batch.gaps_size() == 0) return Invalid("batch", "carries no results");
  for (int i = 0; i < batch.results_size(); ++i) {
    absl::Status st = CheckResult(batch.results(i), absl::StrCat("batch.results[", i, "]"), limits);
    if (!st.ok()) return st;
  }
  for (int i = 0; i < batch.gaps_size(); ++i) {
    const auto& g = batch.gaps(i);
    if (g.first_sequence() > g.last_sequence() || g.reason().size() > limits.max_message) {
      return Invalid(absl::StrCat("batch.gaps[", i, "]"), "first_sequence must not exceed last_sequence");
    }
  }
  return absl::OkStatus();
}

std::vector<FieldProblem> ExerciseProblems(const paraat::v1::ExerciseRecord& e, absl::Time now) {
  std::vector<FieldProblem> out;
  if (e.kind() != "tabletop" && e.kind() != "failover" && e.kind() != "restore" && e.kind() != "training") {
    out.push_back({"kind", "exercise.error.kind"});
  }
  if (e.performed_unix_ns() <= 0 || FromUnixNs(e.performed_unix_ns()) > now + absl::Hours(24)) {
    out.push_back({"date", "exercise.error.date"});
  }
  if (e.notes().size() > 16384 || e.topic().size() > 16384) out.push_back({"notes", "exercise.error.notes"});
  if (e.has_duration_seconds() && !(e.duration_seconds() >= 0)) {
    out.push_back({"duration", "exercise.error.duration_negative"});
  }
  return out;
}

absl::Status ValidateExercise(const paraat::v1::ExerciseRecord& e, absl::Time now) {
  std::vector<FieldProblem> problems = ExerciseProblems(e, now);
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(Catalog::Builtin().Text(Lang::kEn, problems[0].message_key));
}

}  // namespace paraat
