// Whether a copy can be deleted or changed with ordinary rights, as the agent can see it without
// trying: nothing here writes, renames or deletes anything (issue 17, the "1 immutable or
// offline" of 3-2-1-1-0). What counts:
//   a file       its immutable (`chattr +i`) or append-only (`chattr +a`) attribute, read with
//                FS_IOC_GETFLAGS as `lsattr` does: neither can be deleted, renamed or rewritten
//                until someone with CAP_LINUX_IMMUTABLE clears the attribute
//   any path     a read-only mount (statvfs ST_RDONLY), a bind mount remounted read-only included
// What a kind's tool reports (borg's append_only) is the kind's own to examine.
//
//   Protection p = ExamineFile("/backups/db.dump");
//   ReportProtection(p, r);   // facts.immutable, detail "immutable": "immutable attribute"
//
// Thread-safe (no state).
#ifndef PARAAT_AGENT_CHECKS_SUPPORT_IMMUTABILITY_H_
#define PARAAT_AGENT_CHECKS_SUPPORT_IMMUTABILITY_H_

#include <string>
#include <vector>

#include "paraat/v1/result.pb.h"

namespace paraat {

struct Protection {
  bool immutable = false;
  // What protects it ("immutable attribute", "read-only mount /srv/archive"), or what the agent
  // looked at and found unprotected ("no immutable or append-only attribute; mount / is
  // read-write").
  std::string how;
  // Why the agent could not look (the file vanished, permission denied): nothing is known.
  std::string error;
};

// A file's attributes and its mount.
Protection ExamineFile(const std::string& path);
// A set of files (a backup set): protected when every one is; otherwise `how` names the first
// one that is not, and how many are not.
Protection ExamineFiles(const std::vector<std::string>& paths);
// A directory that only a read-only mount protects as a whole (a repository of many files).
Protection ExamineMount(const std::string& path);

// Sets facts.immutable (true or false) and the detail "immutable" saying how; when the agent
// could not look, leaves facts.immutable unset (not examined) and the detail says why.
void ReportProtection(const Protection& p, paraat::v1::Result* r);

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_SUPPORT_IMMUTABILITY_H_
