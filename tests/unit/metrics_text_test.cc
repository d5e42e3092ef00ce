// The Prometheus text the collector writes by hand: values that round-trip, labels escaped,
// families grouped with one header. (The whole page is also linted with promtool and scraped by
// a real Prometheus in the integration tests.)
#include <cstdlib>
#include <limits>
#include <string>

#include "collector/serving/metrics_exporter.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

std::string Value(double v) {
  std::string s;
  AppendValue(&s, v);
  return s;
}

TEST(MetricsText, ValuesRoundTripAndSpecialsAreSpelledAsPrometheusReadsThem) {
  EXPECT_EQ(Value(1), "1");
  EXPECT_EQ(Value(0), "0");
  EXPECT_EQ(Value(0.25), "0.25");
  EXPECT_EQ(Value(5e9), "5e+09");
  // A timestamp with microseconds keeps every digit (a %g-style format would print 1.79596e+09).
  const double ts = 1795960926.490779;
  EXPECT_EQ(std::strtod(Value(ts).c_str(), nullptr), ts);
  EXPECT_EQ(Value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(Value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Value(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(MetricsText, LabelValuesAreEscaped) {
  std::string l;
  AppendLabel(&l, "plan", "brp");
  AppendLabel(&l, "owner", "Team \"Burgerzaken\"\\\nline two");
  EXPECT_EQ(l, R"(plan="brp",owner="Team \"Burgerzaken\"\\\nline two")");
}

TEST(MetricsText, FamilyHasOneHeaderAndNothingWithoutSamples) {
  TextFamily empty("paraat_empty", "Nothing here");
  TextFamily f("paraat_x_seconds", "An example", "gauge");
  f.Add("a=\"1\"", 2);
  f.Add("", 3.5);
  std::string out;
  empty.AppendTo(&out);
  f.AppendTo(&out);
  EXPECT_EQ(out,
            "# HELP paraat_x_seconds An example\n# TYPE paraat_x_seconds gauge\n"
            "paraat_x_seconds{a=\"1\"} 2\nparaat_x_seconds 3.5\n");
}

}  // namespace
}  // namespace paraat
