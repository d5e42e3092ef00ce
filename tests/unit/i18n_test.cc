// The message catalogues and the language- and zone-aware formatting (common/i18n.h).
#include "common/i18n.h"

#include <set>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

using ::testing::ElementsAre;

TEST(CatalogTest, BothLanguagesHoldTheSameKeysWithTheSamePlaceholders) {
  const Catalog& c = Catalog::Builtin();
  const auto& en = c.Entries(Lang::kEn);
  const auto& nl = c.Entries(Lang::kNl);
  ASSERT_GT(en.size(), 20u);
  for (const auto& [key, text] : en) {
    auto it = nl.find(key);
    if (it == nl.end()) {
      ADD_FAILURE() << "nl.txt lacks " << key;
      continue;
    }
    std::vector<std::string> a = PlaceholderNames(text), b = PlaceholderNames(it->second);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b) << key << ": en \"" << text << "\", nl \"" << it->second << "\"";
  }
  for (const auto& [key, text] : nl) EXPECT_TRUE(en.count(key)) << "en.txt lacks " << key;
}

TEST(CatalogTest, ParseReportsWhereALineIsWrong) {
  EXPECT_TRUE(Catalog::ParseFile("# comment\n\na = b\n", "x.txt").ok());
  auto bad = Catalog::ParseFile("a = b\nno equals sign\n", "x.txt");
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("x.txt:2:"));
  auto twice = Catalog::ParseFile("a = b\na = c\n", "x.txt");
  EXPECT_THAT(std::string(twice.status().message()), ::testing::HasSubstr("a is given twice"));
}

TEST(CatalogTest, MissingKeysAreVisible) {
  Localizer l(Lang::kEn);
  EXPECT_EQ(l.T("no.such.key"), "[[no.such.key]]");
  EXPECT_EQ(l.T("state.not_ready"), "Not ready");
  EXPECT_EQ(Localizer(Lang::kNl).T("state.not_ready"), "Niet gereed");
}

TEST(PlaceholderTest, FillsKnownNamesAndKeepsOthers) {
  EXPECT_EQ(FillPlaceholders("{a} of {b}, {c}", {{"a", "1"}, {"b", "2"}}), "1 of 2, {c}");
  EXPECT_EQ(FillPlaceholders("no braces", {}), "no braces");
  EXPECT_EQ(FillPlaceholders("open { only", {{"x", "y"}}), "open { only");
  EXPECT_THAT(PlaceholderNames("{a} of {b}"), ElementsAre("a", "b"));
}

TEST(LangTest, AcceptLanguageByQuality) {
  EXPECT_EQ(PreferredLang("nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7", Lang::kEn), Lang::kNl);
  EXPECT_EQ(PreferredLang("en-GB,en;q=0.9,nl;q=0.8", Lang::kNl), Lang::kEn);
  EXPECT_EQ(PreferredLang("de-DE,de;q=0.9,nl;q=0.5", Lang::kEn), Lang::kNl);
  EXPECT_EQ(PreferredLang("fr", Lang::kNl), Lang::kNl);
  EXPECT_EQ(PreferredLang("", Lang::kEn), Lang::kEn);
  EXPECT_EQ(PreferredLang("en;q=0.2, nl;q=0.3", Lang::kEn), Lang::kNl);
  EXPECT_EQ(ParseLang("nl_NL.UTF-8"), Lang::kNl);
  EXPECT_EQ(ParseLang("nld"), std::nullopt);
}

TEST(LocalizerTest, NumbersInEachLanguage) {
  Localizer en(Lang::kEn), nl(Lang::kNl);
  EXPECT_EQ(en.Integer(1234567), "1,234,567");
  EXPECT_EQ(nl.Integer(1234567), "1.234.567");
  EXPECT_EQ(nl.Integer(-1000), "-1.000");
  EXPECT_EQ(en.Integer(999), "999");
  EXPECT_EQ(nl.Decimal(2.25, 1), "2,2");
  EXPECT_EQ(en.Percent(0.953), "95%");
  EXPECT_EQ(nl.Size(1536), "1,5 KiB");
}

TEST(LocalizerTest, DurationsInEachLanguage) {
  Localizer en(Lang::kEn), nl(Lang::kNl);
  EXPECT_EQ(en.Duration(absl::Minutes(270)), "4 h 30 min");
  EXPECT_EQ(nl.Duration(absl::Minutes(270)), "4 u 30 min");
  EXPECT_EQ(nl.Duration(absl::Hours(49) + absl::Minutes(5)), "2 d 1 u");
  EXPECT_EQ(en.Duration(absl::Hours(48) + absl::Minutes(5)), "2 d");  // adjacent units only
  EXPECT_EQ(en.Duration(absl::Milliseconds(350)), "350 ms");
  EXPECT_EQ(nl.Duration(absl::Milliseconds(2500)), "2,5 s");
  EXPECT_EQ(en.CompactDuration(absl::Minutes(270)), "4h30m");
  EXPECT_EQ(nl.CompactDuration(absl::Minutes(270)), "4u30m");
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  EXPECT_EQ(nl.Relative(now - absl::Hours(72), now), "3 d geleden");
  EXPECT_EQ(en.Relative(now + absl::Minutes(15), now), "in 15 min");
}

TEST(LocalizerTest, DatesInTheConfiguredZone) {
  auto ams = LoadZone("Europe/Amsterdam");
  ASSERT_TRUE(ams.ok()) << ams.status();
  // 2026-03-03T13:05:00Z is 14:05 in Amsterdam (CET), 2026-07-01T12:00:00Z 14:00 (CEST).
  const absl::Time winter = absl::FromUnixSeconds(1772543100);
  const absl::Time summer = absl::FromUnixSeconds(1782907200);
  Localizer nl(Lang::kNl, *ams), en(Lang::kEn, *ams);
  EXPECT_EQ(nl.DateTime(winter), "3 mrt 2026 14:05");
  EXPECT_EQ(en.DateTime(winter), "3 Mar 2026, 14:05");
  EXPECT_EQ(nl.Date(summer), "1 jul 2026");
  EXPECT_EQ(nl.Iso(winter), "2026-03-03T14:05:00+01:00");
  EXPECT_EQ(nl.Iso(summer), "2026-07-01T14:00:00+02:00");
  EXPECT_FALSE(LoadZone("Mars/Olympus_Mons").ok());
}

}  // namespace
}  // namespace paraat
