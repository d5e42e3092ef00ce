#include "agent/checks/disk_space.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/checks/support/config_keys.h"
#include "common/units.h"

namespace paraat {

std::unique_ptr<Check> DiskSpaceCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (auto v = PathKey(keys, env, "path", kRequired)) o.path = *v;
  if (auto v = keys.Size("min_free")) o.min_free = *v;
  if (auto v = keys.Percent("min_free_ratio")) o.min_free_ratio = *v;
  if (auto v = keys.Size("warn_free")) o.warn_free = *v;
  if (auto v = keys.Percent("warn_free_ratio")) o.warn_free_ratio = *v;
  if (o.min_free == 0 && o.min_free_ratio == 0) {
    keys.Error("min_free", "give min_free (e.g. 500GB) or min_free_ratio (e.g. 10%)");
  }
  if (o.path.empty()) return nullptr;
  return std::make_unique<DiskSpaceCheck>(std::move(o));
}

void DiskSpaceCheck::Run(const CheckContext&, paraat::v1::Result* r) {
  struct statvfs st;
  AddDetail(r, "path", options_.path);
  if (::statvfs(options_.path.c_str(), &st) != 0) {
    Error(r, absl::StrCat("cannot stat the file system of ", options_.path, ": ", std::strerror(errno)));
    return;
  }
  const uint64_t total = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
  const uint64_t free = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;  // what an unprivileged writer gets
  const double ratio = total ? static_cast<double>(free) / static_cast<double>(total) : 0;
  auto* f = r->mutable_facts();
  f->set_free_bytes(free);
  f->set_total_bytes(total);
  f->set_free_ratio(ratio);
  AddValue(r, "free", static_cast<double>(free), "B");
  AddValue(r, "free_ratio", ratio * 100, "%");
  const std::string summary =
      absl::StrFormat("%s free of %s (%.1f%%) on %s", HumanSize(free), HumanSize(total), ratio * 100, options_.path);
  const bool enough = free >= options_.min_free && ratio >= options_.min_free_ratio;
  f->set_ready(enough);
  if (!enough) {
    Fail(r, absl::StrCat(summary, "; needs at least ",
                         options_.min_free ? HumanSize(options_.min_free)
                                           : absl::StrFormat("%.0f%%", options_.min_free_ratio * 100)));
  } else if (free < options_.warn_free || ratio < options_.warn_free_ratio) {
    Warn(r, absl::StrCat(summary, "; below the warning level"));
  } else {
    Ok(r, summary);
  }
}

}  // namespace paraat
