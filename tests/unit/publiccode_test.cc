// publiccode.yml, the catalogue entry at the repository's root: it names the version this tree
// builds, and holds what the publiccode.yml standard (0.7) makes mandatory, within its limits.
#include <regex>
#include <set>
#include <string>

#include "common/version.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace paraat {
namespace {

const std::string kFile = std::string(PARAAT_SOURCE_DIR) + "/publiccode.yml";

YAML::Node Load() {
  try {
    return YAML::LoadFile(kFile);
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << kFile << ": " << e.what();
    return YAML::Node();
  }
}

// A scalar that is present and not empty.
::testing::AssertionResult HasText(const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || !node.IsScalar() || node.Scalar().empty()) {
    return ::testing::AssertionFailure() << kFile << ": " << key << " is missing or empty";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsNonEmptyList(const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || !node.IsSequence() || node.size() == 0) {
    return ::testing::AssertionFailure() << kFile << ": " << key << " must be a non-empty list";
  }
  return ::testing::AssertionSuccess();
}

TEST(PublicCode, SoftwareVersionIsTheBuildsVersion) {
  YAML::Node doc = Load();
  ASSERT_TRUE(HasText(doc["softwareVersion"], "softwareVersion"));
  EXPECT_EQ(doc["softwareVersion"].Scalar(), PARAAT_VERSION)
      << kFile << ": softwareVersion must be the project version in CMakeLists.txt";
  ASSERT_TRUE(HasText(doc["releaseDate"], "releaseDate"));
  EXPECT_TRUE(std::regex_match(doc["releaseDate"].Scalar(), std::regex(R"(\d{4}-\d{2}-\d{2})")))
      << "releaseDate must be YYYY-MM-DD, not " << doc["releaseDate"].Scalar();
}

TEST(PublicCode, HasTheStandardsMandatoryKeys) {
  YAML::Node doc = Load();
  for (const char* key : {"publiccodeYmlVersion", "name", "url", "developmentStatus", "softwareType"}) {
    EXPECT_TRUE(HasText(doc[key], key));
  }
  EXPECT_TRUE(HasText(doc["organisation"]["uri"], "organisation.uri"));
  EXPECT_TRUE(IsNonEmptyList(doc["platforms"], "platforms"));
  EXPECT_TRUE(HasText(doc["legal"]["license"], "legal.license"));
  EXPECT_TRUE(HasText(doc["localisation"]["localisationReady"], "localisation.localisationReady"));
  EXPECT_TRUE(IsNonEmptyList(doc["localisation"]["availableLanguages"], "localisation.availableLanguages"));

  const std::set<std::string> statuses = {"concept", "development", "beta", "stable", "obsolete"};
  EXPECT_TRUE(statuses.count(doc["developmentStatus"].as<std::string>("")))
      << "developmentStatus: " << doc["developmentStatus"];
  const std::set<std::string> types = {"standalone/mobile",
                                       "standalone/iot",
                                       "standalone/desktop",
                                       "standalone/web",
                                       "standalone/backend",
                                       "standalone/other",
                                       "addon",
                                       "library",
                                       "configurationFiles"};
  EXPECT_TRUE(types.count(doc["softwareType"].as<std::string>(""))) << "softwareType: " << doc["softwareType"];

  const std::string maintenance = doc["maintenance"]["type"].as<std::string>("");
  EXPECT_TRUE((std::set<std::string>{"internal", "contract", "community", "none"}.count(maintenance)))
      << "maintenance.type: " << maintenance;
  if (maintenance == "internal" || maintenance == "community") {
    EXPECT_TRUE(IsNonEmptyList(doc["maintenance"]["contacts"], "maintenance.contacts"));
  }
  if (maintenance == "contract") {
    EXPECT_TRUE(IsNonEmptyList(doc["maintenance"]["contractors"], "maintenance.contractors"));
  }
  for (const auto& dep : doc["dependsOn"]["open"]) EXPECT_TRUE(HasText(dep["name"], "dependsOn.open[].name"));
}

// Dutch and English, each with the descriptions within the standard's lengths and features.
TEST(PublicCode, DescribesParaatInDutchAndEnglish) {
  YAML::Node doc = Load();
  for (const char* lang : {"nl", "en"}) {
    SCOPED_TRACE(lang);
    const YAML::Node d = doc["description"][lang];
    const std::string at = std::string("description.") + lang;
    ASSERT_TRUE(d.IsMap()) << kFile << ": " << at << " is missing";
    ASSERT_TRUE(HasText(d["shortDescription"], at + ".shortDescription"));
    ASSERT_TRUE(HasText(d["longDescription"], at + ".longDescription"));
    // Lengths in characters; UTF-8 continuation bytes are not characters.
    auto chars = [](const std::string& s) {
      size_t n = 0;
      for (unsigned char c : s) n += (c & 0xC0) != 0x80;
      return n;
    };
    EXPECT_LE(chars(d["shortDescription"].Scalar()), 150u) << at << ".shortDescription: at most 150 characters";
    EXPECT_GE(chars(d["longDescription"].Scalar()), 150u) << at << ".longDescription: at least 150 characters";
    EXPECT_LE(chars(d["longDescription"].Scalar()), 10000u) << at << ".longDescription: at most 10,000 characters";
    EXPECT_TRUE(IsNonEmptyList(d["features"], at + ".features"));
  }
}

}  // namespace
}  // namespace paraat
