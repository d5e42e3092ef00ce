#include "common/yaml_reader.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(YamlMap, ReportsEveryProblemWithFileLineAndKey) {
  ConfigErrors errors("plans/brp.yaml");
  YAML::Node root = LoadYamlString(
      "id: brp\n"
      "objectives:\n"
      "  rpo: fifteen\n"
      "  rto: 4h\n"
      "  mtdp: 24h\n"
      "tier: two\n",
      &errors);
  YamlMap doc(root, "", &errors);
  doc.String("id", kRequired);
  doc.String("name", kRequired);
  doc.Int("tier", 1, 9);
  if (auto obj = doc.Map("objectives")) {
    obj->Duration("rpo");
    obj->Duration("rto");
    obj->Duration("mtpd");
    obj->Finish();
  }
  doc.Finish();
  EXPECT_THAT(
      errors.lines(),
      ElementsAre("plans/brp.yaml:1: name: is required", "plans/brp.yaml:6: tier: \"two\" is not a whole number",
                  "plans/brp.yaml:3: objectives.rpo: \"fifteen\" is not a duration (use e.g. 30s, 15m, 4h, 7d)",
                  "plans/brp.yaml:5: objectives.mtdp: unknown key (did you mean \"mtpd\"?)"));
  EXPECT_EQ(errors.ToStatus().code(), absl::StatusCode::kInvalidArgument);
}

TEST(YamlMap, SyntaxErrorsCarryTheirLine) {
  ConfigErrors errors("x.yaml");
  LoadYamlString("a: 1\nb: [unclosed\n", &errors);
  ASSERT_EQ(errors.lines().size(), 1u);
  EXPECT_THAT(errors.lines()[0], HasSubstr("x.yaml:"));
  EXPECT_THAT(errors.lines()[0], HasSubstr("syntax: "));
}

TEST(YamlMap, DuplicateKeysAreErrors) {
  ConfigErrors errors("x.yaml");
  YamlMap doc(LoadYamlString("a: 1\na: 2\n", &errors), "", &errors);
  doc.String("a");
  doc.Finish();
  EXPECT_THAT(errors.lines(), ElementsAre("x.yaml:2: a: duplicate key"));
}

TEST(YamlMap, TypesAreChecked) {
  ConfigErrors errors("x.yaml");
  YamlMap doc(LoadYamlString("list: notalist\nmap: [1]\nflag: maybe\nempty:\nchoice: c\n", &errors), "", &errors);
  doc.StringList("list");
  doc.Map("map");
  doc.Bool("flag");
  doc.String("empty");
  doc.Enum("choice", {"a", "b"});
  doc.Finish();
  EXPECT_THAT(
      errors.lines(),
      ElementsAre("x.yaml:1: list: expected a list, e.g. [a, b]", "x.yaml:2: map: expected a mapping of keys to values",
                  "x.yaml:3: flag: \"maybe\" is not true or false", "x.yaml:4: empty: has no value",
                  "x.yaml:5: choice: \"c\" is not one of a, b"));
}

TEST(YamlMap, AcceptsWellFormedValues) {
  ConfigErrors errors("x.yaml");
  YamlMap doc(LoadYamlString("d: 15m\ns: 1MiB\np: 5%\nl: [a, b]\nm: {k: v}\nb: yes\n", &errors), "", &errors);
  EXPECT_EQ(*doc.Duration("d"), absl::Minutes(15));
  EXPECT_EQ(*doc.Size("s"), 1u << 20);
  EXPECT_DOUBLE_EQ(*doc.Percent("p"), 0.05);
  EXPECT_THAT(*doc.StringList("l"), ElementsAre("a", "b"));
  EXPECT_EQ(doc.StringMap("m")->at("k"), "v");
  EXPECT_TRUE(*doc.Bool("b"));
  doc.Finish();
  EXPECT_TRUE(errors.empty()) << errors.ToStatus();
}

TEST(YamlMap, ANonMappingDocumentIsReported) {
  ConfigErrors errors("x.yaml");
  YamlMap doc(LoadYamlString("- a\n- b\n", &errors), "", &errors);
  EXPECT_FALSE(doc.valid());
  EXPECT_THAT(errors.lines(), ElementsAre("x.yaml:1: expected a mapping of keys to values"));
}

}  // namespace
}  // namespace paraat
