#include "common/yaml_reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

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

// Values a problem quotes are short excerpts on one line: a file full of someone else's lines or
// of escape sequences cannot flood or drive a terminal, a log or paraatctl's reply.
TEST(ConfigErrors, QuoteOnlyShortOneLineExcerpts) {
  EXPECT_EQ(ConfigExcerpt("fifteen"), "fifteen");
  EXPECT_EQ(ConfigExcerpt(std::string(100, 'y')), std::string(64, 'y') + "…");
  EXPECT_EQ(ConfigExcerpt("a\x1b[2Jb\nc\x7f"), "a\\x1B[2Jb\\x0Ac\\x7F");
  EXPECT_EQ(ConfigExcerpt("caf\xe9 \xc2\x9b x"), "caf\\xE9 \\xC2\\x9B x") << "not UTF-8, and a C1 control";
  EXPECT_EQ(ConfigExcerpt("één"), "één");
  EXPECT_EQ(ConfigExcerpt(std::string(63, 'x') + "é", 64), std::string(63, 'x') + "…") << "cut on a character";

  ConfigErrors errors("plans/x.yaml");
  errors.Add(3, "objectives.rpo", absl::StrCat("\"", std::string(100000, 'y'), "\x1b]0;pwned\x07\" is not a duration"));
  errors.Add(4, std::string(500, 'k'), "unknown key");
  errors.Add(5, "", std::string(5000, 'z'));
  ASSERT_EQ(errors.lines().size(), 3u);
  EXPECT_EQ(errors.lines()[0],
            absl::StrCat("plans/x.yaml:3: objectives.rpo: \"", std::string(64, 'y'), "…\" is not a duration"));
  EXPECT_EQ(errors.lines()[1], absl::StrCat("plans/x.yaml:4: ", std::string(96, 'k'), "…: unknown key"));
  EXPECT_LT(errors.lines()[2].size(), 450u);
  for (int i = 0; i < 100; ++i) errors.Add(10 + i, "k", "problem");
  EXPECT_EQ(errors.lines().size(), 50u);
  EXPECT_THAT(std::string(errors.ToStatus().message()), HasSubstr("plans/x.yaml: ... and 53 more problems"));
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/paraat-yaml-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(::mkdir((dir_ + "/plans").c_str(), 0700), 0);
    ASSERT_EQ(::mkdir((dir_ + "/plans/..data").c_str(), 0700), 0);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  void Write(const std::string& name, const std::string& content) { std::ofstream(dir_ + "/" + name) << content; }
  // ReadConfigFile's text, or its problem.
  std::string Read(const std::string& name) {
    ConfigErrors errors(name);
    std::string text;
    if (ReadConfigFile(dir_ + "/" + name, &text, &errors)) return text;
    return std::string(errors.ToStatus().message());
  }
  std::string dir_;
};

TEST_F(ConfigFileTest, RegularFilesInTheirFolderOnly) {
  Write("plans/brp.yaml", "id: brp\n");
  EXPECT_EQ(Read("plans/brp.yaml"), "id: brp\n");
  // A ConfigMap: symlinks within the folder are followed.
  Write("plans/..data/zaak.yaml", "id: zaak\n");
  ASSERT_EQ(::symlink("..data/zaak.yaml", (dir_ + "/plans/zaak.yaml").c_str()), 0);
  EXPECT_EQ(Read("plans/zaak.yaml"), "id: zaak\n");
  // Out of the folder: refused, naming where it leads, reading nothing.
  Write("secret", "root:$6$hash:20228:0:99999:7:::\n");
  ASSERT_EQ(::symlink((dir_ + "/secret").c_str(), (dir_ + "/plans/evil.yaml").c_str()), 0);
  EXPECT_THAT(Read("plans/evil.yaml"), HasSubstr("evil.yaml: a symlink to " + dir_ + "/secret, outside its folder"));
  EXPECT_THAT(Read("plans/evil.yaml"), Not(HasSubstr("$6$hash")));
  ASSERT_EQ(::symlink("../secret", (dir_ + "/plans/dots.yaml").c_str()), 0);
  EXPECT_THAT(Read("plans/dots.yaml"), HasSubstr("outside its folder"));
  // A folder that is itself a symlink (a mounted plans folder) is the folder.
  ASSERT_EQ(::symlink((dir_ + "/plans").c_str(), (dir_ + "/mounted").c_str()), 0);
  EXPECT_EQ(Read("mounted/brp.yaml"), "id: brp\n");
  EXPECT_EQ(Read("mounted/zaak.yaml"), "id: zaak\n");
}

TEST_F(ConfigFileTest, FifosDevicesAndLargeFilesAreRefusedUpFront) {
  ASSERT_EQ(::mkfifo((dir_ + "/plans/fifo.yaml").c_str(), 0600), 0);
  EXPECT_THAT(Read("plans/fifo.yaml"), HasSubstr("fifo.yaml: not a regular file (a FIFO)"));
  ASSERT_EQ(::symlink("/dev/zero", (dir_ + "/plans/zero.yaml").c_str()), 0);
  EXPECT_THAT(Read("plans/zero.yaml"), HasSubstr("not a regular file (a character device)"));
  EXPECT_THAT(Read("plans"), HasSubstr("not a regular file (a directory)"));
  EXPECT_THAT(Read("plans/none.yaml"), HasSubstr("none.yaml: cannot read: No such file"));
  Write("plans/big.yaml", std::string((1 << 20) + 1, 'x'));
  EXPECT_THAT(Read("plans/big.yaml"), HasSubstr("big.yaml: larger than 1 MiB (1048577 bytes)"));
  Write("plans/limit.yaml", std::string(1 << 20, 'x'));
  EXPECT_EQ(Read("plans/limit.yaml").size(), 1u << 20);
}

TEST(ReadRegularFile, ReadsAtMostTheLimit) {
  auto zero = ReadRegularFile("/dev/zero", 1 << 20);
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(zero.status().message(), "not a regular file (a character device)");
  auto missing = ReadRegularFile("/nonexistent/file", 10);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  char path[] = "/tmp/paraat-read-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "0123456789", 10), 10);
  ::close(fd);
  EXPECT_EQ(*ReadRegularFile(path, 10), "0123456789");
  EXPECT_EQ(ReadRegularFile(path, 9).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReadRegularFile(path, 9).status().message(), "larger than 9 bytes (10 bytes)");
  // Outside the within-folder rule a symlink anywhere is fine (an attachment, a mounted secret).
  const std::string link = std::string(path) + ".link";
  ASSERT_EQ(::symlink(path, link.c_str()), 0);
  EXPECT_EQ(*ReadRegularFile(link, 10), "0123456789");
  ::unlink(link.c_str());
  ::unlink(path);
  EXPECT_EQ(LimitText(8 << 20), "8 MiB");
  EXPECT_EQ(LimitText(64 << 10), "64 KiB");
  EXPECT_EQ(LimitText(1000), "1000 bytes");
}

}  // namespace
}  // namespace paraat
