#include "agent/registry.h"

#include "agent/checks/file_backup.h"

namespace paraat {

const std::map<std::string, CheckKind>& CheckKinds() {
  static const auto* kinds = new std::map<std::string, CheckKind>{
      {"file_backup", {"file_backup", "newest file matching a glob is the latest recovery point; size and checksums",
                       &FileBackupCheck::Create}},
  };
  return *kinds;
}

const CheckKind* FindCheckKind(const std::string& name) {
  auto it = CheckKinds().find(name);
  return it == CheckKinds().end() ? nullptr : &it->second;
}

std::vector<std::string> CheckKindNames() {
  std::vector<std::string> out;
  for (const auto& [name, kind] : CheckKinds()) out.push_back(name);
  return out;
}

}  // namespace paraat
