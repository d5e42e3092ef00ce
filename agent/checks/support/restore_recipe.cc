#include "agent/checks/support/restore_recipe.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "agent/checks/support/tool.h"

namespace paraat {

bool RestoreDrill::Validate(const std::string& dir, paraat::v1::Result* r) const {
  if (validate.empty()) return true;
  std::map<std::string, std::string> venv = env;
  venv["PARAAT_SCRATCH"] = dir;
  return RunDrillStep(ctx, ToolRun{Substitute(validate, dir), venv, {}, dir}, "the validation", DrillStep::kTest, r,
                      log);
}

std::vector<std::string> Substitute(const std::vector<std::string>& argv, const std::string& scratch) {
  std::vector<std::string> out;
  for (const auto& a : argv) out.push_back(absl::StrReplaceAll(a, {{"{scratch}", scratch}}));
  return out;
}

void CountTree(const std::string& dir, uint64_t* entries, uint64_t* bytes) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    ++*entries;
    if (it->is_regular_file(ec)) *bytes += it->file_size(ec);
  }
}

std::optional<Match> NewestMatch(const std::string& pattern,
                                 const std::function<std::optional<absl::Time>(const std::string&)>& time_of) {
  const size_t slash = pattern.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : pattern.substr(0, slash);
  const std::string name_glob = slash == std::string::npos ? pattern : pattern.substr(slash + 1);
  if (name_glob.find_first_of("*?[") == std::string::npos) {
    std::optional<absl::Time> t = time_of(pattern);
    if (!t) return std::nullopt;
    return Match{pattern, *t};
  }
  std::optional<Match> newest;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (::fnmatch(name_glob.c_str(), name.c_str(), 0) != 0) continue;
    std::optional<absl::Time> t = time_of(it->path().string());
    if (t && (!newest || *t > newest->time)) newest = Match{it->path().string(), *t};
  }
  return newest;
}

void ValidationQuery::ReadKeys(YamlMap& keys) {
  if (auto v = keys.String("validate_query")) query = *v;
  if (auto v = keys.Int("expect_min", 0, INT64_MAX)) expect_min = static_cast<double>(*v);
}

bool ValidationQuery::Judge(const std::string& output, paraat::v1::Result* r) const {
  std::string first = FirstLine(output);
  const size_t sep = first.find_first_of("|\t");
  if (sep != std::string::npos) first = first.substr(0, sep);
  AddDetail(r, "validation_result", first);
  double value = 0;
  if (!absl::SimpleAtod(first, &value)) {
    Fail(r, absl::StrCat("the validation query returned \"", first, "\", not a number"));
    return false;
  }
  if (value < expect_min) {
    Fail(r, absl::StrCat("the validation query returned ", first, ", expected at least ", expect_min));
    return false;
  }
  return true;
}

CheckContext CleanupContext(const CheckContext& ctx, absl::Duration time) {
  CheckContext cleanup = ctx;
  cleanup.deadline = ctx.clock->Monotonic() + time;
  cleanup.timeout = time;
  cleanup.cancelled = [] { return false; };
  return cleanup;
}

}  // namespace paraat
