#include "collector/evaluation/plan_living.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/time_util.h"

namespace paraat {
namespace {

constexpr size_t kMaxContacts = 32;
constexpr size_t kMaxContactField = 256;

void ReadContact(const YAML::Node& node, size_t index, YamlMap& doc, Plan* plan) {
  YamlMap m(node, absl::StrCat("contacts[", index, "]"), doc.errors(), LineOf(node));
  if (!m.valid()) return;
  Contact c;
  bool ok = true;
  for (auto [key, field] : {std::pair{"role", &c.role}, {"name", &c.name}, {"phone", &c.phone}, {"email", &c.email}}) {
    const bool required = std::string(key) == "role" || std::string(key) == "name";
    auto v = m.String(key, required ? kRequired : kOptional);
    if (!v) {
      ok = ok && !required;
      continue;
    }
    if (v->size() > kMaxContactField) {
      m.Error(key, absl::StrCat("is ", v->size(), " bytes long; at most ", kMaxContactField));
      ok = false;
      continue;
    }
    *field = *v;
  }
  if (!c.role.empty() &&
      !std::all_of(c.role.begin(), c.role.end(), [](char ch) { return std::islower(ch) || ch == '-' || ch == '_'; })) {
    m.Error("role",
            absl::StrCat("\"", c.role, "\" is not a role; write a word such as owner, deputy, crisis, supplier"));
    ok = false;
  }
  if (!c.phone.empty() && !LooksLikePhone(c.phone)) {
    m.Error("phone", absl::StrCat("\"", c.phone, "\" does not look like a telephone number (e.g. +31 6 1234 5678)"));
    ok = false;
  }
  if (!c.email.empty() && !LooksLikeEmail(c.email)) {
    m.Error("email", absl::StrCat("\"", c.email, "\" does not look like an e-mail address (e.g. name@example.nl)"));
    ok = false;
  }
  if (ok && c.phone.empty() && c.email.empty()) {
    m.Error("phone", "give a phone or an email: a contact nobody can reach does not help at 3 a.m.");
    ok = false;
  }
  m.Finish();
  if (ok) plan->contacts.push_back(std::move(c));
}

}  // namespace

bool LooksLikePhone(const std::string& phone) {
  int digits = 0;
  for (size_t i = 0; i < phone.size(); ++i) {
    const char ch = phone[i];
    if (std::isdigit(static_cast<unsigned char>(ch))) {
      ++digits;
    } else if (ch == '+') {
      if (i != 0) return false;
    } else if (ch != ' ' && ch != '-' && ch != '.' && ch != '(' && ch != ')') {
      return false;
    }
  }
  return digits >= 6 && digits <= 15;
}

bool LooksLikeEmail(const std::string& email) {
  const size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos) return false;
  for (char ch : email) {
    if (std::isspace(static_cast<unsigned char>(ch)) || std::iscntrl(static_cast<unsigned char>(ch)) || ch == '<' ||
        ch == '>' || ch == ',' || ch == ';' || ch == '"') {
      return false;
    }
  }
  const std::string domain = email.substr(at + 1);
  const size_t dot = domain.rfind('.');
  return dot != std::string::npos && dot > 0 && dot + 1 < domain.size() && domain.find("..") == std::string::npos;
}

void ReadLivingPlanKeys(YamlMap& doc, Plan* plan) {
  plan->review_every = doc.PositiveDuration("review_every");
  plan->training_every = doc.PositiveDuration("training_every");
  if (!doc.Has("contacts")) return;
  YAML::Node list = doc.Raw("contacts");
  if (!list.IsSequence()) {
    doc.Error("contacts", "expected a list of {role, name, phone, email}");
    return;
  }
  if (list.size() > kMaxContacts) {
    doc.Error("contacts", absl::StrCat("lists ", list.size(), " contacts; at most ", kMaxContacts));
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) ReadContact(list[i], i, doc, plan);
}

void LivingPlanToProto(const Plan& plan, paraat::v1::PlanDefinition* out) {
  if (plan.review_every) out->set_review_every_ns(ToNs(*plan.review_every));
  if (plan.training_every) out->set_training_every_ns(ToNs(*plan.training_every));
  for (const Contact& c : plan.contacts) {
    auto* pc = out->add_contacts();
    pc->set_role(c.role);
    pc->set_name(c.name);
    pc->set_phone(c.phone);
    pc->set_email(c.email);
  }
}

}  // namespace paraat
