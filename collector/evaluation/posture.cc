#include "collector/evaluation/posture.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace paraat {

void ParseCopies(YamlMap& doc, ForesightPolicy* out) {
  auto m = doc.Map("copies");
  if (!m) return;
  CopiesRequirement c;
  if (auto v = m->Int("min", 0, 100)) c.min = static_cast<int>(*v);
  if (auto v = m->Int("offsite", 0, 100)) c.offsite = static_cast<int>(*v);
  if (auto v = m->Int("immutable", 0, 100)) c.immutable = static_cast<int>(*v);
  if (auto v = m->Int("media", 0, 100)) c.media = static_cast<int>(*v);
  if (auto v = m->String("site")) c.site = *v;
  m->Finish();
  out->copies = c;
}

CopiesCount CountCopies(const Plan& plan, const EvidenceView& evidence, absl::Time now) {
  CopiesCount n;
  std::set<std::string> media, locations;
  int offsite_by_site = 0;
  for (const std::string& key : plan.recovery_point) {
    const SourceState* s = evidence.Source(key);
    if (s == nullptr || !s->latest || !IsFresh(*s->latest, now)) continue;
    const Observation& o = *s->latest;
    const bool passing = o.status == paraat::v1::CHECK_STATUS_OK || o.status == paraat::v1::CHECK_STATUS_WARNING;
    if (!passing || !o.recovery_point || o.integrity == paraat::v1::INTEGRITY_CORRUPT) continue;
    ++n.total;
    if (o.immutable.value_or(false)) ++n.immutable;
    if (!o.media.empty()) media.insert(o.media);
    if (!o.location.empty()) {
      locations.insert(o.location);
      if (plan.foresight.copies && !plan.foresight.copies->site.empty() && o.location != plan.foresight.copies->site) {
        ++offsite_by_site;
      }
    }
  }
  n.media = static_cast<int>(media.size());
  const bool have_site = plan.foresight.copies && !plan.foresight.copies->site.empty();
  n.offsite = have_site ? offsite_by_site : std::max(0, static_cast<int>(locations.size()) - 1);
  return n;
}

void EvaluateCopies(const Plan& plan, const EvidenceView& evidence, absl::Time now, Evaluation* out) {
  if (plan.recovery_point.empty()) return;
  const CopiesCount n = CountCopies(plan, evidence, now);
  out->foresight.copies = n;
  if (!plan.foresight.copies) return;
  const CopiesRequirement& want = *plan.foresight.copies;
  std::vector<Detail> short_of;
  auto need = [&](int have, int wanted, const std::string& what) {
    if (have >= wanted) return;
    short_of.push_back(Detail{absl::StrCat("reason.part.copies_", what),
                              {DetailArg::Count("have", have), DetailArg::Count("need", wanted)}});
  };
  need(n.total, want.min, n.total == 1 ? "usable_one" : "usable_other");
  need(n.offsite, want.offsite, "offsite");
  need(n.immutable, want.immutable, "immutable");
  need(n.media, want.media, n.media == 1 ? "media_one" : "media_other");
  if (short_of.empty()) return;
  out->AddReason("copies_insufficient", paraat::v1::PLAN_STATE_NOT_READY, "",
                 Detail{"reason.copies_insufficient.detail", {DetailArg::List("short", ", ", std::move(short_of))}});
}

}  // namespace paraat
