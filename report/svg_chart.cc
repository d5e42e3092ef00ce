#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/html.h"
#include "common/units.h"

namespace paraat {
namespace {

constexpr double kW = 760, kH = 230, kLeft = 64, kRight = 36, kTop = 14, kBottom = 34;

// A round tick step for a duration axis whose top is about `max` seconds.
double NiceStep(double max) {
  static constexpr double kSteps[] = {0.001,  0.002,  0.005,   0.01,    0.02,    0.05,    0.1,   0.2,   0.5,
                                      1,      2,      5,       10,      15,      30,      60,    120,   300,
                                      600,    900,    1800,    3600,    7200,    10800,   21600, 43200, 86400,
                                      172800, 604800, 1209600, 2592000, 7776000, 31536000};
  for (double s : kSteps) {
    if (max / s <= 5) return s;
  }
  return max / 4;
}

std::string DateLabel(absl::Time t, absl::Duration span, const absl::TimeZone& zone) {
  const char* fmt = span > absl::Hours(24 * 3) ? "%Y-%m-%d" : "%m-%d %H:%M";
  return absl::FormatTime(fmt, t, zone);
}

std::string XAxis(absl::Time from, absl::Time to, double y, const absl::TimeZone& zone) {
  std::string s;
  const double span = std::max(1.0, absl::ToDoubleSeconds(to - from));
  for (int i = 0; i <= 5; ++i) {
    double x = kLeft + (kW - kLeft - kRight) * i / 5.0;
    absl::Time t = from + absl::Seconds(span * i / 5.0);
    absl::StrAppendFormat(&s, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#bbb'/>", x, y, x, y + 4);
    absl::StrAppendFormat(&s, "<text x='%.1f' y='%.1f' font-size='10' text-anchor='middle' fill='#555'>%s</text>", x,
                          y + 16, HtmlEscape(DateLabel(t, to - from, zone)));
  }
  return s;
}

}  // namespace

std::string DurationChart(const ChartSeries& series, absl::Time from, absl::Time to, double target_seconds,
                          const std::string& target_label, const std::string& aria_label, const Localizer& l) {
  // Points outside the period (an exercise recorded now, performed earlier) widen the axis.
  for (const auto& p : series.points) {
    from = std::min(from, absl::FromUnixNanos(p.t_ns));
    to = std::max(to, absl::FromUnixNanos(p.t_ns));
  }
  const double span = std::max(1.0, absl::ToDoubleSeconds(to - from));
  double ymax = target_seconds * 1.2;
  for (const auto& p : series.points) ymax = std::max(ymax, p.value * 1.05);
  if (ymax <= 0) ymax = 1;
  const double step = NiceStep(ymax);
  const int ticks = static_cast<int>(std::ceil(ymax / step));
  ymax = step * ticks;
  auto X = [&](int64_t t_ns) {
    double f = (t_ns / 1e9 - absl::ToDoubleSeconds(from - absl::UnixEpoch())) / span;
    return kLeft + (kW - kLeft - kRight) * std::clamp(f, 0.0, 1.0);
  };
  auto Y = [&](double v) { return kTop + (kH - kTop - kBottom) * (1 - std::clamp(v / ymax, 0.0, 1.0)); };

  std::string s = absl::StrFormat(
      "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 %.0f %.0f' width='100%%' role='img' aria-label='%s'>", kW,
      kH, HtmlEscape(aria_label));
  absl::StrAppendFormat(&s, "<rect x='%.0f' y='%.0f' width='%.0f' height='%.0f' fill='#fafafa' stroke='#ddd'/>", kLeft,
                        kTop, kW - kLeft - kRight, kH - kTop - kBottom);
  for (int i = 0; i <= ticks; ++i) {
    double v = step * i, y = Y(v);
    absl::StrAppendFormat(&s, "<line x1='%.0f' y1='%.1f' x2='%.0f' y2='%.1f' stroke='#eee'/>", kLeft, y, kW - kRight,
                          y);
    absl::StrAppendFormat(&s, "<text x='%.0f' y='%.1f' font-size='10' text-anchor='end' fill='#555'>%s</text>",
                          kLeft - 6, y + 3,
                          i == 0 ? std::string("0") : HtmlEscape(l.CompactDuration(absl::Seconds(v))));
  }
  s += XAxis(from, to, kH - kBottom, l.zone());
  if (target_seconds > 0) {
    double y = Y(target_seconds);
    absl::StrAppendFormat(&s,
                          "<line x1='%.0f' y1='%.1f' x2='%.0f' y2='%.1f' stroke='#c0392b' stroke-width='1.5' "
                          "stroke-dasharray='6 4'/><text x='%.0f' y='%.1f' font-size='11' text-anchor='end' "
                          "fill='#c0392b'>%s</text>",
                          kLeft, y, kW - kRight, y, kW - kRight - 4, y - 4, HtmlEscape(target_label));
  }
  if (series.line && series.points.size() > 1) {
    std::string d;
    for (size_t i = 0; i < series.points.size(); ++i) {
      absl::StrAppendFormat(&d, "%s%.1f %.1f", i ? " L" : "M", X(series.points[i].t_ns), Y(series.points[i].value));
    }
    absl::StrAppendFormat(&s, "<path d='%s' fill='none' stroke='#2c6fbb' stroke-width='1.5'/>", d);
  }
  for (size_t i = 0; i < series.points.size(); ++i) {
    const auto& p = series.points[i];
    const bool bad = i < series.bad.size() && series.bad[i];
    if (series.line && !bad && series.points.size() > 1) continue;
    if (bad) {
      double x = X(p.t_ns), y = Y(p.value);
      absl::StrAppendFormat(&s,
                            "<path d='M%.1f %.1f L%.1f %.1f M%.1f %.1f L%.1f %.1f' stroke='#c0392b' "
                            "stroke-width='2'/>",
                            x - 4, y - 4, x + 4, y + 4, x - 4, y + 4, x + 4, y - 4);
    } else {
      absl::StrAppendFormat(&s, "<circle cx='%.1f' cy='%.1f' r='3.5' fill='#2c6fbb'/>", X(p.t_ns), Y(p.value));
    }
  }
  if (series.points.empty()) {
    absl::StrAppendFormat(&s, "<text x='%.0f' y='%.0f' font-size='13' text-anchor='middle' fill='#888'>%s</text>",
                          (kLeft + kW - kRight) / 2, (kTop + kH - kBottom) / 2,
                          HtmlEscape(l.T("report.chart.no_data")));
  }
  s += "</svg>";
  return s;
}

std::string TimelineChart(const std::vector<StateSpan>& spans, absl::Time from, absl::Time to, const Localizer& l) {
  constexpr double kBandH = 26, kTotalH = 50;
  const double span = std::max(1.0, absl::ToDoubleSeconds(to - from));
  auto X = [&](absl::Time t) {
    return kLeft + (kW - kLeft - kRight) * std::clamp(absl::ToDoubleSeconds(t - from) / span, 0.0, 1.0);
  };
  std::string s = absl::StrFormat(
      "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 %.0f %.0f' width='100%%' role='img' aria-label='%s'>", kW,
      kTotalH, HtmlEscape(l.T("report.chart.timeline.alt")));
  absl::StrAppendFormat(&s, "<rect x='%.0f' y='2' width='%.0f' height='%.0f' fill='#f3f4f6'/>", kLeft,
                        kW - kLeft - kRight, kBandH);
  for (const StateSpan& sp : spans) {
    const char* color = sp.state == "ready"       ? "#22c55e"
                        : sp.state == "at_risk"   ? "#eab308"
                        : sp.state == "not_ready" ? "#dc2626"
                                                  : "#9ca3af";
    double x0 = X(sp.from), x1 = X(sp.to);
    if (x1 - x0 < 2) x0 = std::max(kLeft, x1 - 2);  // short spans stay visible
    absl::StrAppendFormat(&s, "<rect x='%.1f' y='2' width='%.1f' height='%.0f' fill='%s'><title>%s</title></rect>", x0,
                          x1 - x0, kBandH, color, HtmlEscape(l.T("ctl.state." + sp.state)));
  }
  s += XAxis(from, to, kBandH + 2, l.zone());
  s += "</svg>";
  return s;
}

}  // namespace paraat
