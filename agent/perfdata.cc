#include "agent/perfdata.h"

#include <cmath>

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

std::vector<PerfValue> ParsePerfdata(absl::string_view text, std::vector<std::string>* problems) {
  std::vector<PerfValue> out;
  size_t i = 0;
  auto problem = [&](std::string p) {
    if (problems && problems->size() < 20) problems->push_back(std::move(p));
  };
  while (i < text.size()) {
    while (i < text.size() && absl::ascii_isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    std::string label;
    if (text[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '\'') {
          if (i + 1 < text.size() && text[i + 1] == '\'') {
            label += '\'';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        label += text[i++];
      }
      if (!closed) {
        problem("unterminated quoted label");
        break;
      }
    } else {
      while (i < text.size() && text[i] != '=' && !absl::ascii_isspace(static_cast<unsigned char>(text[i]))) {
        label += text[i++];
      }
    }
    // The rest of the item, up to the next space.
    size_t end = i;
    while (end < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[end]))) ++end;
    absl::string_view item = text.substr(i, end - i);
    i = end;
    if (label.empty() || item.empty() || item[0] != '=') {
      problem(absl::StrCat("\"", label, std::string(item), "\" is not label=value"));
      continue;
    }
    item.remove_prefix(1);
    std::vector<absl::string_view> parts = absl::StrSplit(item, ';');
    absl::string_view v = parts[0];
    size_t num_end = 0;
    while (num_end < v.size() && (absl::ascii_isdigit(static_cast<unsigned char>(v[num_end])) || v[num_end] == '.' ||
                                  v[num_end] == '-' || v[num_end] == '+' || v[num_end] == 'e' || v[num_end] == 'E')) {
      // 'e' only inside a number (exponent), not a unit such as "e"
      if ((v[num_end] == 'e' || v[num_end] == 'E') &&
          (num_end + 1 >= v.size() || !(absl::ascii_isdigit(static_cast<unsigned char>(v[num_end + 1])) ||
                                        v[num_end + 1] == '-' || v[num_end + 1] == '+'))) {
        break;
      }
      ++num_end;
    }
    double value;
    if (num_end == 0 || !absl::SimpleAtod(v.substr(0, num_end), &value) || !std::isfinite(value)) {
      if (v != "U") problem(absl::StrCat(label, ": \"", std::string(v), "\" is not a number"));
      continue;
    }
    std::string uom(v.substr(num_end));
    double scale = 1;
    std::string unit = uom;
    if (uom == "ms") {
      scale = 1e-3;
      unit = "s";
    } else if (uom == "us") {
      scale = 1e-6;
      unit = "s";
    } else if (uom == "KB") {
      scale = 1024;
      unit = "B";
    } else if (uom == "MB") {
      scale = 1024.0 * 1024;
      unit = "B";
    } else if (uom == "GB") {
      scale = 1024.0 * 1024 * 1024;
      unit = "B";
    } else if (uom == "TB") {
      scale = 1024.0 * 1024 * 1024 * 1024;
      unit = "B";
    } else if (!uom.empty() && uom != "s" && uom != "%" && uom != "B" && uom != "c") {
      problem(absl::StrCat(label, ": unknown unit \"", uom, "\""));
    }
    PerfValue pv;
    pv.label = label;
    pv.value = value * scale;
    pv.unit = unit;
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
