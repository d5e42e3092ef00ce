// The check-kind tables users read (README.md, docs/agent.md) name every kind the agent has, and
// nothing it does not: a kind added without its row, or a row left behind, fails here.
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "agent/registry.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

// The `names` in the first column of the table whose header line starts with `header`.
std::set<std::string> KindsInTable(const std::string& file, const std::string& header) {
  std::ifstream in(std::string(PARAAT_SOURCE_DIR) + "/" + file);
  std::stringstream text;
  text << in.rdbuf();
  std::set<std::string> out;
  bool inside = false;
  for (absl::string_view line : absl::StrSplit(text.str(), '\n')) {
    if (!inside) {
      inside = absl::StartsWith(line, header);
      continue;
    }
    if (!absl::StartsWith(line, "|")) break;
    std::vector<absl::string_view> cells = absl::StrSplit(line, '|');
    if (cells.size() < 2 || absl::StartsWith(cells[1], "---")) continue;
    std::vector<absl::string_view> quoted = absl::StrSplit(cells[1], '`');
    for (size_t i = 1; i < quoted.size(); i += 2) out.emplace(quoted[i]);
  }
  return out;
}

TEST(KindDocs, TheReadmeAndTheAgentDocListEveryKind) {
  const std::vector<std::string> names = CheckKindNames();
  const std::set<std::string> kinds(names.begin(), names.end());
  ASSERT_GE(kinds.size(), 17u);
  EXPECT_EQ(KindsInTable("README.md", "| kind | what it proves | facts |"), kinds);
  EXPECT_EQ(KindsInTable("docs/agent.md", "| kind | file pair | facts it reports |"), kinds);
}

}  // namespace
}  // namespace paraat
