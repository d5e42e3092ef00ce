// rclone: the off-site copy of a backup set on any rclone remote (S3, Azure Blob, SFTP, WebDAV,
// crypt, local) — the newest object's time as the off-site recovery point, `rclone check` (or
// `cryptcheck` on a crypt remote) against the local set as integrity.
//
//   - id: offsite-copy
//     kind: rclone
//     interval: 6h
//     remote: "offsite:backups/db-01"        # name:path, the name from the rclone config
//     config: /etc/paraat/rclone.conf       # optional: rclone's default config otherwise
//     config_password_file: /etc/paraat/rclone-config.pass   # an encrypted config (RCLONE_CONFIG_PASS)
//     source: /srv/backup/db-01             # optional: the local set to compare with
//     download: false                       # true: compare contents on remotes without hashes
//     one_way: false                        # true: files only on the remote are no difference
//     location: offsite                     # offsite | onsite: the detail the 3-2-1 posture counts
//
// The recovery point is the newest object's ModTime as rclone lists it: the source file's
// modification time where the remote keeps it (local, SFTP, S3, Azure, crypt over them), the
// upload time where it cannot (WebDAV other than Nextcloud/ownCloud); the listed files and their
// bytes are the backup's size (backup_files, backup_bytes). `rclone check` on a crypt
// remote compares sizes only (and passes on corrupted ciphertext), so a crypt remote is checked
// with `cryptcheck`; a remote without a hash in common with the source is compared by size only
// (integrity unverified) unless `download` is set. A difference fails the check: a file that
// differs is corrupt; files missing on either side are a stale or incomplete copy. The remote path
// missing altogether fails as well. rclone runs with bounded retries (a remote that is down fails
// in well under a second, not after rclone's 11 s of retries) and its cache in the check's state.
#ifndef PARAAT_AGENT_CHECKS_RCLONE_H_
#define PARAAT_AGENT_CHECKS_RCLONE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/check.h"
#include "agent/checks/support/tool.h"
#include "agent/registry.h"
#include "agent/secrets.h"

namespace paraat {

class RcloneCheck : public Check {
 public:
  static constexpr char kName[] = "rclone";
  static constexpr char kSummary[] = "off-site copy: newest object on an rclone remote; rclone check/cryptcheck";
  struct Options {
    std::string binary = "rclone";
    std::string remote;  // name:path
    std::string config;
    SecretRef config_password;
    std::string source;
    bool download = false;
    bool one_way = false;
    std::string location = "offsite";
  };
  // What `rclone lsjson` said about the remote's files.
  struct Listing {
    std::map<std::string, uint64_t> sizes;  // path -> bytes
    uint64_t bytes = 0;
    std::string newest_path;
    absl::Time newest = absl::InfinitePast();
  };

  explicit RcloneCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  // rclone with the config, cache and retry flags every step uses, then `args`.
  std::vector<std::string> Argv(const CheckContext& ctx, std::vector<std::string> args) const;
  // The remote's type from `rclone listremotes --long` ("" for an on-the-fly remote); false (the
  // result an error) when the config has no such remote.
  bool RemoteType(const CheckContext& ctx, ToolSession* tool, std::string* type, paraat::v1::Result* r) const;
  // lsjson: the newest object is the recovery point; false when the result is final.
  bool ListRemote(const CheckContext& ctx, ToolSession* tool, Listing* listing, std::string* summary,
                  paraat::v1::Result* r) const;
  // check or cryptcheck against the source; sets the verdict.
  void Compare(const CheckContext& ctx, ToolSession* tool, bool crypt, const Listing& listing,
               const std::string& summary, paraat::v1::Result* r) const;

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_RCLONE_H_
