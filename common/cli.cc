#include "common/cli.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace paraat {

void ArgParser::Option(const std::string& name, std::string* target) { options_[name] = target; }
void ArgParser::Repeated(const std::string& name, std::vector<std::string>* target) { repeated_[name] = target; }
void ArgParser::Flag(const std::string& name, bool* target) { flags_[name] = target; }

absl::Status ArgParser::Parse(int argc, char** argv, int first, bool stop_at_command) {
  bool options_done = false;
  rest_ = argc;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (options_done || !absl::StartsWith(arg, "-") || arg == "-") {
      if (stop_at_command) {
        rest_ = i;
        return absl::OkStatus();
      }
      positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "h") name = "help";
    if (auto f = flags_.find(name); f != flags_.end()) {
      if (has_value) {
        if (value == "true" || value == "1") {
          *f->second = true;
        } else if (value == "false" || value == "0") {
          *f->second = false;
        } else {
          return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
        }
      } else {
        *f->second = true;
      }
      given_[name] = true;
      continue;
    }
    auto o = options_.find(name);
    auto r = repeated_.find(name);
    if (o == options_.end() && r == repeated_.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option ", arg.substr(0, arg.find('='))));
    }
    if (!has_value) {
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      value = argv[++i];
    }
    if (o != options_.end()) {
      *o->second = value;
    } else {
      r->second->push_back(value);
    }
    given_[name] = true;
  }
  return absl::OkStatus();
}

}  // namespace paraat
