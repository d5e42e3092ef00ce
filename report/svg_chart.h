// Inline SVG charts for the HTML report: no scripts, no external resources. Pure functions of
// their arguments (labels are escaped here); safe to call from any thread.
#ifndef PARAAT_REPORT_SVG_CHART_H_
#define PARAAT_REPORT_SVG_CHART_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/i18n.h"
#include "report/report_model.h"

namespace paraat {

struct ChartSeries {
  std::vector<SeriesPoint> points;  // value in seconds
  std::vector<bool> bad;            // optional: draw these points as failures
  bool line = true;                 // line, or dots
};

// A time chart of durations with a dashed target line ("RPO 15m"); y axis in `l`'s durations,
// dates in its zone, its words from the catalogue.
std::string DurationChart(const ChartSeries& series, absl::Time from, absl::Time to, double target_seconds,
                          const std::string& target_label, const std::string& aria_label, const Localizer& l);

struct StateSpan {
  absl::Time from, to;
  std::string state;  // ready | at_risk | unknown | not_ready
};
// A horizontal band of plan states over time; each span titled with its state in `l`'s words.
std::string TimelineChart(const std::vector<StateSpan>& spans, absl::Time from, absl::Time to, const Localizer& l);

}  // namespace paraat

#endif  // PARAAT_REPORT_SVG_CHART_H_
