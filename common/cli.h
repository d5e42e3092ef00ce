// Command-line parsing for the three binaries: `--name value`, `--name=value`, boolean
// `--name`, positional words (sub-commands), and usage errors as InvalidArgument (the
// binaries exit 2 on them). Not thread-safe; one parser per command line.
#ifndef PARAAT_COMMON_CLI_H_
#define PARAAT_COMMON_CLI_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace paraat {

class ArgParser {
 public:
  // Declares an option taking a value; `*target` keeps its default when absent.
  void Option(const std::string& name, std::string* target);
  // Declares a repeatable option (each occurrence appends).
  void Repeated(const std::string& name, std::vector<std::string>* target);
  // Declares a boolean flag.
  void Flag(const std::string& name, bool* target);

  // Parses argv[first..]. Unknown options and missing values are errors. "--" ends options.
  // With `stop_at_command`, parsing stops at the first positional word; rest() is its index.
  [[nodiscard]] absl::Status Parse(int argc, char** argv, int first = 1, bool stop_at_command = false);
  int rest() const { return rest_; }
  const std::vector<std::string>& positional() const { return positional_; }
  bool Given(const std::string& name) const { return given_.count(name) > 0; }

 private:
  std::map<std::string, std::string*> options_;
  std::map<std::string, std::vector<std::string>*> repeated_;
  std::map<std::string, bool*> flags_;
  std::map<std::string, bool> given_;
  std::vector<std::string> positional_;
  int rest_ = 0;
};

}  // namespace paraat

#endif  // PARAAT_COMMON_CLI_H_
