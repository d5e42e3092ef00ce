#include "agent/perfdata.h"

#include <cmath>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace paraat {
namespace {

std::optional<double> Threshold(absl::string_view t) {
  t = absl::StripAsciiWhitespace(t);
  double v;
  if (!t.empty() && absl::SimpleAtod(t, &v) && std::isfinite(v)) return v;
  return std::nullopt;  // empty, a range ("10:20", "@~:5") or garbage: not a plain number
}

}  // namespace

namespace {

bool Space(char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); }
bool Digit(char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }

// The label at text[*i] (single-quoted, '' a quote inside, or bare up to '=' or a space);
// nullopt when a quote is not closed.
std::optional<std::string> ReadLabel(absl::string_view text, size_t* i) {
  std::string label;
  if (text[*i] != '\'') {
    while (*i < text.size() && text[*i] != '=' && !Space(text[*i])) label += text[(*i)++];
    return label;
  }
  ++*i;
  while (*i < text.size()) {
    if (text[*i] == '\'') {
      if (*i + 1 < text.size() && text[*i + 1] == '\'') {
        label += '\'';
        *i += 2;
        continue;
      }
      ++*i;
      return label;
    }
    label += text[(*i)++];
  }
  return std::nullopt;
}

// Where the number at the start of `v` ends (its unit follows).
size_t NumberEnd(absl::string_view v) {
  size_t end = 0;
  while (end < v.size() &&
         (Digit(v[end]) || v[end] == '.' || v[end] == '-' || v[end] == '+' || v[end] == 'e' || v[end] == 'E')) {
    // 'e' only inside a number (exponent), not a unit such as "e"
    if ((v[end] == 'e' || v[end] == 'E') &&
        (end + 1 >= v.size() || !(Digit(v[end + 1]) || v[end + 1] == '-' || v[end + 1] == '+'))) {
      break;
    }
    ++end;
  }
  return end;
}

// The base unit and the factor to it: ms and us are seconds, KB..TB bytes (1024-based). False
// for a unit the plugin convention does not know (kept as it is).
bool BaseUnit(const std::string& uom, std::string* unit, double* scale) {
  static const std::map<std::string, std::pair<const char*, double>> kUnits = {
      {"ms", {"s", 1e-3}},
      {"us", {"s", 1e-6}},
      {"KB", {"B", 1024.0}},
      {"MB", {"B", 1024.0 * 1024}},
      {"GB", {"B", 1024.0 * 1024 * 1024}},
      {"TB", {"B", 1024.0 * 1024 * 1024 * 1024}},
  };
  *unit = uom;
  *scale = 1;
  if (auto it = kUnits.find(uom); it != kUnits.end()) {
    *unit = it->second.first;
    *scale = it->second.second;
    return true;
  }
  return uom.empty() || uom == "s" || uom == "%" || uom == "B" || uom == "c";
}

}  // namespace

std::vector<PerfValue> ParsePerfdata(absl::string_view text, std::vector<std::string>* problems) {
  std::vector<PerfValue> out;
  size_t i = 0;
  auto problem = [&](std::string p) {
    if (problems && problems->size() < 20) problems->push_back(std::move(p));
  };
  while (i < text.size()) {
    while (i < text.size() && Space(text[i])) ++i;
    if (i >= text.size()) break;
    std::optional<std::string> label = ReadLabel(text, &i);
    if (!label) {
      problem("unterminated quoted label");
      break;
    }
    // The rest of the item, up to the next space.
    size_t end = i;
    while (end < text.size() && !Space(text[end])) ++end;
    absl::string_view item = text.substr(i, end - i);
    i = end;
    if (label->empty() || item.empty() || item[0] != '=') {
      problem(absl::StrCat("\"", *label, std::string(item), "\" is not label=value"));
      continue;
    }
    item.remove_prefix(1);
    std::vector<absl::string_view> parts = absl::StrSplit(item, ';');
    absl::string_view v = parts[0];
    const size_t num_end = NumberEnd(v);
    double value;
    if (num_end == 0 || !absl::SimpleAtod(v.substr(0, num_end), &value) || !std::isfinite(value)) {
      if (v != "U") problem(absl::StrCat(*label, ": \"", std::string(v), "\" is not a number"));
      continue;
    }
    const std::string uom(v.substr(num_end));
    PerfValue pv;
    double scale;
    if (!BaseUnit(uom, &pv.unit, &scale)) problem(absl::StrCat(*label, ": unknown unit \"", uom, "\""));
    pv.label = *label;
    pv.value = value * scale;
    auto scaled = [&](size_t k) -> std::optional<double> {
      if (parts.size() <= k) return std::nullopt;
      auto t = Threshold(parts[k]);
      if (t) *t *= scale;
      return t;
    };
    pv.warn = scaled(1);
    pv.crit = scaled(2);
    pv.min = scaled(3);
    pv.max = scaled(4);
    out.push_back(std::move(pv));
    if (out.size() >= 64) break;
  }
  return out;
}

void SplitPluginOutput(absl::string_view output, std::string* message, std::string* perfdata) {
  message->clear();
  perfdata->clear();
  bool first = true;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    size_t bar = line.find('|');
    absl::string_view text = bar == absl::string_view::npos ? line : line.substr(0, bar);
    if (first) {
      *message = std::string(absl::StripAsciiWhitespace(text));
      first = false;
    }
    if (bar != absl::string_view::npos) {
      absl::string_view perf = absl::StripAsciiWhitespace(line.substr(bar + 1));
      if (!perf.empty()) absl::StrAppend(perfdata, perfdata->empty() ? "" : " ", perf);
    }
  }
}

}  // namespace paraat
