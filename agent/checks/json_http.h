// json_http: any backup product's REST API — the newest successful backup among the items of a
// JSON answer is the recovery point, the newest item's status the verdict.
//
//   - id: veeam-jobs
//     kind: json_http
//     interval: 15m
//     url: https://veeam.example.org:9419/api/v1/sessions?typeFilter=BackupJob&limit=5
//     method: GET                    # or POST (with body:)
//     headers: {x-api-version: 1.1-rev1}
//     token_file: /etc/paraat/veeam.token   # Authorization: Bearer; or user + password_file; or cert/key
//     token_prefix: "Bearer "       # what precedes the token in the Authorization header
//     ca_file: /etc/paraat/veeam-ca.pem      # optional; verify_tls: false accepts any certificate
//     items: /data                   # JSON pointer (RFC 6901) to an array of items; none: the document is one item
//     filter: {/name: Daily DB}      # optional: pointer -> the value an item must have
//     name: /name                    # optional: the item's name in messages
//     time: /endTime                 # the backup's time: RFC 3339, or epoch seconds (milliseconds above 10^11)
//     status: /result/result         # optional: the product's status word (none: every item succeeded)
//     status_map: {Success: ok, Warning: warning, Failed: failed}
//     bytes: /transferredSize        # optional: the backup's size in bytes (a number or a numeric string)
//     files: /processedObjects       # optional: the number of files (objects) in the backup
//
// Items whose status word is not in status_map (a running session, "None") are left out of the
// verdict. The newest item whose status maps to ok or warning is the recovery point; the newest
// mapped item decides: failed fails the check (the recovery point stays the last good one),
// warning warns. The recovery point item's bytes and files are the backup's size (backup_bytes,
// backup_files). No successful item at all fails. An API that cannot be reached, refuses (401,
// 403) or answers something that is not JSON with the items is an error.
#ifndef PARAAT_AGENT_CHECKS_JSON_HTTP_H_
#define PARAAT_AGENT_CHECKS_JSON_HTTP_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/check.h"
#include "agent/registry.h"
#include "agent/secrets.h"
#include "nlohmann/json.hpp"

namespace paraat {

class JsonHttpCheck : public Check {
 public:
  static constexpr char kName[] = "json_http";
  static constexpr char kSummary[] = "a backup product's REST API: newest successful item, status words mapped";
  enum class Verdict { kOk, kWarning, kFailed };
  struct Options {
    std::string url;
    std::string method = "GET";
    std::string body;
    std::map<std::string, std::string> headers;
    SecretRef token;
    std::string token_prefix = "Bearer ";  // Authorization: <prefix><token>
    std::string user;
    SecretRef password;
    std::string cert, key, ca_file;
    bool verify_tls = true;
    std::string items;  // JSON pointers; "" for items: the document
    std::map<std::string, std::string> filter;
    std::string name, time, status, bytes, files;
    std::map<std::string, Verdict> status_map;
  };
  // One item of the answer, as the check reads it.
  struct Item {
    std::string name;
    absl::Time time;
    std::string word;                // the product's status word
    std::optional<Verdict> verdict;  // nullopt: not in status_map
    std::optional<uint64_t> bytes, files;
  };

  explicit JsonHttpCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  // The answer's JSON; nullopt (the result an error) when there is none to read.
  std::optional<nlohmann::json> Fetch(const CheckContext& ctx, paraat::v1::Result* r) const;
  // The items that pass the filter and have a time; `skipped` counts those without a time.
  std::vector<Item> ReadItems(const nlohmann::json& doc, int* filtered, int* skipped, paraat::v1::Result* r) const;
  void Judge(std::vector<Item> items, int skipped, paraat::v1::Result* r) const;

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_JSON_HTTP_H_
