// disk_space: room on a volume, e.g. for the next restore on the standby.
//
//   - {id: dr-disk, kind: disk_space, interval: 5m, path: /srv/restore, min_free: 500GB}
//   - {id: spool, kind: disk_space, interval: 5m, path: /var/lib, min_free_ratio: 10%, warn_free_ratio: 20%}
#ifndef PARAAT_AGENT_CHECKS_DISK_SPACE_H_
#define PARAAT_AGENT_CHECKS_DISK_SPACE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "agent/check.h"
#include "agent/registry.h"

namespace paraat {

class DiskSpaceCheck : public Check {
 public:
  static constexpr char kName[] = "disk_space";
  static constexpr char kSummary[] = "free space on a volume against thresholds";
  struct Options {
    std::string path;
    uint64_t min_free = 0;
    double min_free_ratio = 0;
    uint64_t warn_free = 0;
    double warn_free_ratio = 0;
  };
  explicit DiskSpaceCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_DISK_SPACE_H_
