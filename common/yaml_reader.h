// Reading YAML config and plan files with problems reported as `file:line: key: problem`.
//
// A YamlMap hands out typed values key by key and remembers which keys were asked for;
// Finish() reports the rest as unknown keys (they are usually typos). All problems of a
// file are collected, so a user sees every mistake at once, not one per run.
//
//   ConfigErrors errors("plans/brp.yaml");
//   YAML::Node root = LoadYamlFile("plans/brp.yaml", &errors);
//   YamlMap plan(root, "", &errors);
//   std::optional<std::string> id = plan.String("id", kRequired);
//   if (auto obj = plan.Map("objectives", kRequired)) {
//     auto rpo = obj->Duration("rpo", kRequired);   // "objectives.rpo"
//     obj->Finish();
//   }
//   plan.Finish();
//   if (!errors.empty()) return errors.ToStatus();
//
// Problems quote what the file says only as short, one-line excerpts (ConfigExcerpt): a value
// or key in quotes is cut to 64 bytes, control characters and bytes that are not UTF-8 are
// shown as \xHH, a problem is at most 400 bytes and a file reports at most 50 of them. So a
// file full of someone else's lines (a symlink to /etc/shadow, a 50 MiB value) cannot flood a
// terminal, a log or paraatctl's reply.
//
// Files are read with ReadRegularFile (common/fs.h): regular files of at most
// kMaxConfigFileBytes (common/limits.h), symlinks only within their own folder.
//
// Errors: nothing here throws; yaml-cpp's exceptions are caught where it is called and become
// problems in ConfigErrors, whose ToStatus() is one InvalidArgument (callers exit 2 on it).
// Thread-safety: none; a ConfigErrors and its YamlMaps belong to the thread reading the file.
#ifndef PARAAT_COMMON_YAML_READER_H_
#define PARAAT_COMMON_YAML_READER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "yaml-cpp/yaml.h"

namespace paraat {

// At most `max_bytes` of `text` (cut on a character boundary, "…" when cut), on one line:
// control characters, C1 controls and bytes that are not UTF-8 shown as \xHH.
// (Minimal on purpose; to be unified with the text sanitiser of common/text.h.)
std::string ConfigExcerpt(absl::string_view text, size_t max_bytes = 64);

class ConfigErrors {
 public:
  explicit ConfigErrors(std::string file) : file_(std::move(file)) {}

  // `line` is 1-based; 0 means "the file as a whole".
  void Add(int line, absl::string_view key, absl::string_view problem);
  void Add(const YAML::Node& at, absl::string_view key, absl::string_view problem);

  bool empty() const { return lines_.empty(); }
  const std::vector<std::string>& lines() const { return lines_; }
  const std::string& file() const { return file_; }
  // InvalidArgument whose message is every problem, one per line in file order; OK when none.
  absl::Status ToStatus() const;

 private:
  std::string file_;
  std::vector<std::string> lines_;
  std::vector<int> line_numbers_;
  size_t dropped_ = 0;  // problems beyond the first kMaxProblems
};

// 1-based line of a node, or 0 when yaml-cpp does not know it.
int LineOf(const YAML::Node& node);

// Reads a whole config file (a regular file of at most kMaxConfigFileBytes, symlinks only within
// its folder); false (with the problem in `errors`) when it cannot.
bool ReadConfigFile(const std::string& path, std::string* text, ConfigErrors* errors);
// Reads and parses a file. Unreadable files and syntax errors go to `errors`; the result
// is then a null node.
YAML::Node LoadYamlFile(const std::string& path, ConfigErrors* errors);
YAML::Node LoadYamlString(const std::string& text, ConfigErrors* errors);

enum Presence { kOptional, kRequired };

class YamlMap {
 public:
  // `prefix` is the key path of this map ("" for the root, "objectives" below it).
  YamlMap(const YAML::Node& node, std::string prefix, ConfigErrors* errors, int parent_line = 0);

  bool Has(absl::string_view key) const;
  // The raw node (null if absent); marks the key as known.
  YAML::Node Raw(absl::string_view key);

  std::optional<std::string> String(absl::string_view key, Presence p = kOptional);
  std::optional<std::string> Enum(absl::string_view key, const std::vector<std::string>& allowed,
                                  Presence p = kOptional);
  std::optional<absl::Duration> Duration(absl::string_view key, Presence p = kOptional);
  // Strictly positive durations.
  std::optional<absl::Duration> PositiveDuration(absl::string_view key, Presence p = kOptional);
  std::optional<uint64_t> Size(absl::string_view key, Presence p = kOptional);
  std::optional<uint64_t> Rate(absl::string_view key, Presence p = kOptional);
  std::optional<double> Percent(absl::string_view key, Presence p = kOptional);
  std::optional<int64_t> Int(absl::string_view key, int64_t min, int64_t max, Presence p = kOptional);
  std::optional<bool> Bool(absl::string_view key, Presence p = kOptional);
  // A sequence of scalars.
  std::optional<std::vector<std::string>> StringList(absl::string_view key, Presence p = kOptional);
  // A map of scalar keys to scalar values (labels).
  std::optional<std::map<std::string, std::string>> StringMap(absl::string_view key, Presence p = kOptional);
  std::optional<YamlMap> Map(absl::string_view key, Presence p = kOptional);

  // Reports every key that no getter asked for.
  void Finish();

  bool valid() const { return valid_; }
  int line() const { return line_; }
  const std::string& prefix() const { return prefix_; }
  ConfigErrors* errors() const { return errors_; }
  std::string KeyPath(absl::string_view key) const;
  // Records a problem about `key` at its line (or this map's line if absent).
  void Error(absl::string_view key, absl::string_view problem);

 private:
  struct Entry {
    YAML::Node key;
    YAML::Node value;
  };
  // The scalar at `key`, or nullopt (with a problem recorded where appropriate).
  std::optional<std::string> Scalar(absl::string_view key, Presence p);
  const Entry* Find(absl::string_view key) const;

  std::string prefix_;
  ConfigErrors* errors_;
  int line_ = 0;
  bool valid_ = false;
  std::map<std::string, Entry, std::less<>> entries_;
  std::set<std::string, std::less<>> asked_;
};

}  // namespace paraat

#endif  // PARAAT_COMMON_YAML_READER_H_
