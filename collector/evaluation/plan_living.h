// The plan keys that keep a plan alive beyond its technical evidence (docs/design.md, "Living
// plans"): `review_every` (how often people review the plan), `training_every` (how often staff
// are trained on it) and `contacts` (whom to call). Pure; any thread.
//
//   review_every: 365d
//   training_every: 365d
//   contacts:
//     - {role: owner, name: Anne de Vries, phone: "+31 6 1234 5678", email: anne@example.nl}
#ifndef PARAAT_COLLECTOR_EVALUATION_PLAN_LIVING_H_
#define PARAAT_COLLECTOR_EVALUATION_PLAN_LIVING_H_

#include <string>

#include "collector/evaluation/plan.h"
#include "common/yaml_reader.h"
#include "paraat/v1/plan.pb.h"

namespace paraat {

// Reads the keys from the plan's top-level map into `plan`; problems go to the map's errors as
// `file:line: contacts[1].phone: ...`.
void ReadLivingPlanKeys(YamlMap& doc, Plan* plan);
void LivingPlanToProto(const Plan& plan, paraat::v1::PlanDefinition* out);

// Whether `phone` looks like a telephone number: digits with spaces, dashes, dots, parentheses
// and an optional leading +, 6 to 15 digits (E.164 has at most 15).
bool LooksLikePhone(const std::string& phone);
// Whether `email` looks like an e-mail address: local@domain.tld, no spaces.
bool LooksLikeEmail(const std::string& email);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_PLAN_LIVING_H_
