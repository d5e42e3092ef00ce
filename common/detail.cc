#include "common/detail.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

// The kinds travel as the proto's ReasonArgKind, value for value.
static_assert(static_cast<int>(DetailKind::kText) == paraat::v1::REASON_ARG_TEXT);
static_assert(static_cast<int>(DetailKind::kSize) == paraat::v1::REASON_ARG_SIZE);
static_assert(static_cast<int>(DetailKind::kList) == paraat::v1::REASON_ARG_LIST);

namespace {

DetailArg Make(std::string name, DetailKind kind) {
  DetailArg a;
  a.name = std::move(name);
  a.kind = kind;
  return a;
}

}  // namespace

DetailArg DetailArg::Text(std::string name, std::string value) {
  DetailArg a = Make(std::move(name), DetailKind::kText);
  a.text = std::move(value);
  return a;
}

DetailArg DetailArg::Duration(std::string name, absl::Duration d) {
  DetailArg a = Make(std::move(name), DetailKind::kDuration);
  a.integer = absl::ToInt64Nanoseconds(d);
  return a;
}

DetailArg DetailArg::Time(std::string name, absl::Time t) {
  DetailArg a = Make(std::move(name), DetailKind::kTime);
  a.integer = absl::ToUnixNanos(t);
  return a;
}

DetailArg DetailArg::Date(std::string name, absl::Time t) {
  DetailArg a = Time(std::move(name), t);
  a.kind = DetailKind::kDate;
  return a;
}

DetailArg DetailArg::Count(std::string name, int64_t n) {
  DetailArg a = Make(std::move(name), DetailKind::kCount);
  a.integer = n;
  return a;
}

DetailArg DetailArg::Share(std::string name, double share) {
  DetailArg a = Make(std::move(name), DetailKind::kShare);
  a.number = share;
  return a;
}

DetailArg DetailArg::Number(std::string name, double v) {
  DetailArg a = Make(std::move(name), DetailKind::kNumber);
  a.number = v;
  return a;
}

DetailArg DetailArg::Size(std::string name, uint64_t bytes) {
  DetailArg a = Make(std::move(name), DetailKind::kSize);
  a.integer = static_cast<int64_t>(bytes);
  return a;
}

DetailArg DetailArg::Term(std::string name, std::string key) {
  DetailArg a = Make(std::move(name), DetailKind::kTerm);
  a.text = std::move(key);
  return a;
}

DetailArg DetailArg::Nested(std::string name, Detail d) { return List(std::move(name), "", {std::move(d)}); }

DetailArg DetailArg::List(std::string name, std::string separator, std::vector<Detail> items) {
  DetailArg a = Make(std::move(name), DetailKind::kList);
  a.text = std::move(separator);
  a.items = std::move(items);
  return a;
}

bool DetailArg::operator==(const DetailArg& o) const {
  return name == o.name && kind == o.kind && text == o.text && integer == o.integer && number == o.number &&
         items == o.items;
}

namespace {

std::string RenderArg(const DetailArg& a, const Localizer& l, DetailStyle style) {
  const bool machine = style == DetailStyle::kMachine;
  switch (a.kind) {
    case DetailKind::kText:
      return a.text;
    case DetailKind::kDuration: {
      const absl::Duration d = absl::Nanoseconds(a.integer);
      if (machine || (style == DetailStyle::kTerminal && l.lang() == Lang::kEn)) return HumanDuration(d);
      return style == DetailStyle::kTerminal ? l.CompactDuration(d) : l.Duration(d);
    }
    case DetailKind::kTime:
      return machine ? FormatTimeUtc(absl::FromUnixNanos(a.integer)) : l.DateTime(absl::FromUnixNanos(a.integer));
    case DetailKind::kDate:
      return machine ? absl::FormatTime("%Y-%m-%d", absl::FromUnixNanos(a.integer), absl::UTCTimeZone())
                     : l.Date(absl::FromUnixNanos(a.integer));
    case DetailKind::kCount:
      return machine ? absl::StrCat(a.integer) : l.Integer(a.integer);
    case DetailKind::kShare:
      return machine ? absl::StrFormat("%.0f%%", a.number * 100) : l.Percent(a.number);
    case DetailKind::kNumber:
      return machine ? absl::StrFormat("%.2f", a.number) : l.Decimal(a.number, 2);
    case DetailKind::kSize:
      return machine ? HumanSize(static_cast<uint64_t>(a.integer)) : l.Size(static_cast<uint64_t>(a.integer));
    case DetailKind::kTerm:
      return l.T(a.text);
    case DetailKind::kList: {
      std::string out;
      for (size_t i = 0; i < a.items.size(); ++i) {
        absl::StrAppend(&out, i ? a.text : "", RenderDetail(a.items[i], l, style));
      }
      return out;
    }
  }
  return a.text;
}

// Placeholders that name an argument: {word}; other braces are text.
bool IsName(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

void Problems(const Detail& d, Lang lang, std::vector<std::string>* out) {
  const std::string* text = Catalog::Builtin().Find(lang, d.key);
  if (text == nullptr) {
    out->push_back(absl::StrCat(LangCode(lang), ": no ", d.key));
    return;
  }
  std::vector<std::string> names = PlaceholderNames(*text);
  for (const std::string& n : names) {
    if (!IsName(n)) continue;
    auto it = std::find_if(d.args.begin(), d.args.end(), [&](const DetailArg& a) { return a.name == n; });
    if (it == d.args.end()) out->push_back(absl::StrCat(LangCode(lang), ": ", d.key, ": no argument for {", n, "}"));
  }
  for (const DetailArg& a : d.args) {
    if (std::find(names.begin(), names.end(), a.name) == names.end()) {
      out->push_back(absl::StrCat(LangCode(lang), ": ", d.key, ": {", a.name, "} is not used"));
    }
    if (a.kind == DetailKind::kTerm && Catalog::Builtin().Find(lang, a.text) == nullptr) {
      out->push_back(absl::StrCat(LangCode(lang), ": no ", a.text, " (", d.key, ": {", a.name, "})"));
    }
    for (const Detail& item : a.items) Problems(item, lang, out);
  }
}

}  // namespace

std::string RenderDetail(const Detail& d, const Localizer& l, DetailStyle style) {
  MessageArgs args;
  args.reserve(d.args.size());
  for (const DetailArg& a : d.args) args.emplace_back(a.name, RenderArg(a, l, style));
  return l.F(d.key, args);
}

std::string MachineText(const Detail& d) { return RenderDetail(d, Localizer(Lang::kEn), DetailStyle::kMachine); }

std::vector<std::string> DetailProblems(const Detail& d, Lang lang) {
  std::vector<std::string> out;
  Problems(d, lang, &out);
  return out;
}

void ToProto(const Detail& d, paraat::v1::ReasonDetail* out) {
  out->set_key(d.key);
  for (const DetailArg& a : d.args) {
    auto* pa = out->add_args();
    pa->set_name(a.name);
    pa->set_kind(static_cast<paraat::v1::ReasonArgKind>(a.kind));
    pa->set_text(a.text);
    pa->set_integer(a.integer);
    pa->set_number(a.number);
    for (const Detail& item : a.items) ToProto(item, pa->add_items());
  }
}

Detail FromProto(const paraat::v1::ReasonDetail& d) {
  Detail out{d.key(), {}};
  for (const auto& pa : d.args()) {
    DetailArg a;
    a.name = pa.name();
    // A kind from a newer collector than this client: its text, if any.
    a.kind = pa.kind() >= 0 && pa.kind() <= paraat::v1::REASON_ARG_LIST ? static_cast<DetailKind>(pa.kind())
                                                                        : DetailKind::kText;
    a.text = pa.text();
    a.integer = pa.integer();
    a.number = pa.number();
    for (const auto& item : pa.items()) a.items.push_back(FromProto(item));
    out.args.push_back(std::move(a));
  }
  return out;
}

}  // namespace paraat
