#include "agent/checks/support/rotation_ledger.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "agent/check.h"
#include "common/units.h"

namespace paraat {

int64_t RotationLedger::WindowFor(double fraction) {
  return static_cast<int64_t>(std::ceil(1.0 / std::clamp(fraction, 1e-6, 1.0) - 1e-9));
}

RotationLedger::RotationLedger(nlohmann::json state, std::string items, int64_t window)
    : state_(std::move(state)), items_(std::move(items)), window_(std::max<int64_t>(1, window)) {
  if (!state_.is_object()) state_ = nlohmann::json::object();
  nlohmann::json& recorded = state_[items_];
  if (!recorded.is_object()) recorded = nlohmann::json::object();
  // Earlier restic state kept only the run of the last intact read: {"3": 11}.
  for (auto& [key, entry] : recorded.items()) {
    if (entry.is_number_integer()) entry = {{"run", entry.get<int64_t>()}, {"ok", true}};
  }
  const auto it = state_.find("run");
  run_ = it != state_.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

int64_t RotationLedger::StartRun() {
  state_["run"] = ++run_;
  return run_;
}

void RotationLedger::Record(const std::string& key, bool intact, nlohmann::json facts) {
  if (!facts.is_object()) facts = nlohmann::json::object();
  facts["run"] = run_;
  facts["ok"] = intact;
  state_[items_][key] = std::move(facts);
}

const nlohmann::json* RotationLedger::Find(const std::string& key) const {
  const nlohmann::json& recorded = state_.at(items_);
  auto it = recorded.find(key);
  return it == recorded.end() || !it->is_object() ? nullptr : &*it;
}

bool RotationLedger::IntactWithinWindow(const std::string& key) const {
  const nlohmann::json* e = Find(key);
  return e && e->value("ok", false) && e->value("run", int64_t{0}) > run_ - window_;
}

bool RotationLedger::LastReadDamaged(const std::string& key) const {
  const nlohmann::json* e = Find(key);
  return e && !e->value("ok", true);
}

std::optional<absl::Time> RotationLedger::ReadIntactAt(const std::string& key) const {
  const nlohmann::json* e = Find(key);
  if (e == nullptr || !e->value("ok", false)) return std::nullopt;
  const auto at = e->find("at");
  if (at == e->end() || !at->is_number_integer()) return std::nullopt;
  return absl::FromUnixSeconds(at->get<int64_t>());
}

double RotationLedger::Coverage(const std::vector<Item>& items) const {
  double total = 0, covered = 0;
  for (const Item& item : items) {
    total += item.weight;
    if (item.current && IntactWithinWindow(item.key)) covered += item.weight;
  }
  return total == 0 ? 1.0 : covered / total;
}

void RotationLedger::Retain(const std::set<std::string>& keys) {
  nlohmann::json kept = nlohmann::json::object();
  for (const auto& [key, entry] : state_[items_].items()) {
    if (keys.count(key)) kept[key] = entry;
  }
  state_[items_] = std::move(kept);
}

std::string CoverageAgeProblem(absl::Duration age, int64_t runs, absl::Duration interval, absl::Duration within) {
  if (within <= absl::ZeroDuration()) return "";
  const absl::Duration reach = interval * runs;
  if (reach > within) {
    return absl::StrCat("the rotation reads every byte in ", runs, " runs of ", HumanDuration(interval), " (",
                        HumanDuration(reach), "), longer than verify_within ", HumanDuration(within));
  }
  if (age > within) {
    return absl::StrCat("the oldest byte has not been read back for ", HumanDuration(age),
                        ", longer than verify_within ", HumanDuration(within));
  }
  return "";
}

void ApplyVerifyWithin(absl::Duration age, int64_t runs, absl::Duration interval, absl::Duration within,
                       paraat::v1::Result* r) {
  if (within <= absl::ZeroDuration()) return;
  AddValue(r, "verify_within", absl::ToDoubleSeconds(within), "s");
  AddValue(r, "coverage_reach", absl::ToDoubleSeconds(interval * runs), "s");
  const std::string problem = CoverageAgeProblem(age, runs, interval, within);
  if (!problem.empty()) Warn(r, absl::StrCat(r->message(), "; ", problem));
}

}  // namespace paraat
