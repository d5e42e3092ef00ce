// Debian's rclone (1.60) with a config file in a temporary directory and four remotes, none of
// them on the internet:
//   local   type local; paths are absolute (local:/abs/path)
//   sftp    `rclone serve sftp` of sftp_root() on a loopback port, password authentication; it
//           answers md5sum/sha1sum, so `rclone check` compares hashes
//   webdav  `rclone serve webdav` of webdav_root() on a loopback port, basic authentication; no
//           hashes and no settable modification times: `rclone check` compares sizes only
//   crypt   type crypt over local:crypt_root(), password and salt obscured in the config
// The servers run with --dir-cache-time 0 (files a test changes under their roots are seen at
// once), HOME inside the directory (serve sftp would write host keys into ~/.cache) and a host
// key made by openssl. Every server is killed on destruction.
//
// Errors: Start() fails when rclone or openssl is missing or a server does not listen (with its
// log). Not thread-safe.
#ifndef PARAAT_TESTS_TESTLIB_RCLONE_H_
#define PARAAT_TESTS_TESTLIB_RCLONE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {

class Rclone {
 public:
  static constexpr char kUser[] = "paraat";

  // `dir` is created; the remotes' roots under it start empty.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Rclone>> Start(const std::string& dir);

  // rclone --config config() ARGS, its cache inside the directory.
  RunResult Run(const std::vector<std::string>& args, absl::Duration timeout = absl::Seconds(120)) const;

  // The SFTP server down (a remote that does not answer), and up again on the same port.
  void StopSftp() { sftp_.reset(); }
  [[nodiscard]] absl::Status StartSftp();

  const std::string& config() const { return config_; }
  // The password both servers accept (obscured in the config).
  const std::string& password() const { return password_; }
  std::string sftp_root() const { return dir_ + "/sftp-root"; }
  std::string webdav_root() const { return dir_ + "/webdav-root"; }
  std::string crypt_root() const { return dir_ + "/crypt-root"; }
  int sftp_port() const { return sftp_port_; }
  int webdav_port() const { return webdav_port_; }

 private:
  Rclone() = default;
  [[nodiscard]] absl::Status Serve(const std::vector<std::string>& args, int port, const std::string& log,
                                   std::unique_ptr<Process>* process);
  [[nodiscard]] absl::StatusOr<std::string> Obscure(const std::string& secret) const;

  std::string dir_, config_, password_;
  int sftp_port_ = 0, webdav_port_ = 0;
  std::unique_ptr<Process> sftp_, webdav_;
};

}  // namespace paraat::testing

#endif  // PARAAT_TESTS_TESTLIB_RCLONE_H_
