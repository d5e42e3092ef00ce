// A message for people with typed arguments, kept apart from its wording: a catalogue key
// (common/i18n) and named values (durations, times, counts, names, nested messages). The
// evaluator records its reasons this way, so that every view renders them in its own language
// and time zone, while the English text of machine output stays as it was (MachineText).
//
//   Detail d{"reason.rpo_breached.detail",
//            {DetailArg::Duration("achieved", absl::Hours(1)), DetailArg::Duration("rpo", absl::Minutes(15)), ...}};
//   MachineText(d)                                     "achieved RPO 1h exceeds the target 15m (...)"
//   RenderDetail(d, Localizer(Lang::kNl, amsterdam), DetailStyle::kPage)
//                                                      "behaald RPO 1 u overschrijdt het doel 15 min (...)"
//
// Values and functions only; safe from any thread.
#ifndef PARAAT_COMMON_DETAIL_H_
#define PARAAT_COMMON_DETAIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/i18n.h"
#include "paraat/v1/plan.pb.h"

namespace paraat {

enum class DetailKind { kText, kDuration, kTime, kDate, kCount, kShare, kNumber, kSize, kTerm, kList };

struct Detail;

struct DetailArg {
  std::string name;
  DetailKind kind = DetailKind::kText;
  std::string text;           // kText: the value (never translated); kTerm: a catalogue key; kList: the separator
  int64_t integer = 0;        // kDuration: nanoseconds; kTime, kDate: Unix nanoseconds; kCount; kSize: bytes
  double number = 0;          // kShare (0..1), kNumber
  std::vector<Detail> items;  // kList: messages joined by the separator (one: a nested message)

  static DetailArg Text(std::string name, std::string value);
  static DetailArg Duration(std::string name, absl::Duration d);
  static DetailArg Time(std::string name, absl::Time t);
  static DetailArg Date(std::string name, absl::Time t);  // the day only
  static DetailArg Count(std::string name, int64_t n);
  static DetailArg Share(std::string name, double share);
  static DetailArg Number(std::string name, double v);  // two decimals
  static DetailArg Size(std::string name, uint64_t bytes);
  static DetailArg Term(std::string name, std::string key);
  static DetailArg Nested(std::string name, Detail d);
  static DetailArg List(std::string name, std::string separator, std::vector<Detail> items);

  bool operator==(const DetailArg& o) const;
};

struct Detail {
  std::string key;  // a catalogue key; empty: no detail (an old record)
  std::vector<DetailArg> args;
  bool operator==(const Detail&) const = default;
};

enum class DetailStyle {
  kMachine,   // English, as machine output always said it: "3h12m", "2026-03-03T13:05:00Z", UTC
  kTerminal,  // the Localizer's language and zone, compact durations ("3h12m" / "3u12m")
  kPage,      // the Localizer's language and zone, durations spelled out ("3 h 12 min" / "3 u 12 min")
};

std::string RenderDetail(const Detail& d, const Localizer& l, DetailStyle style);
// RenderDetail in English, kMachine.
std::string MachineText(const Detail& d);

// What a catalogue lacks to render `d` in `lang`: a missing key, a {placeholder} with no
// argument, an argument its text never uses; nested messages and terms included. Empty when none.
std::vector<std::string> DetailProblems(const Detail& d, Lang lang);

void ToProto(const Detail& d, paraat::v1::ReasonDetail* out);
Detail FromProto(const paraat::v1::ReasonDetail& d);

}  // namespace paraat

#endif  // PARAAT_COMMON_DETAIL_H_
