#include "tests/testlib/rclone.h"

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace paraat::testing {

absl::StatusOr<std::unique_ptr<Rclone>> Rclone::Start(const std::string& dir) {
  if (!HaveProgram("rclone")) return absl::FailedPreconditionError("rclone is missing (scripts/setup.sh --tests)");
  if (!HaveProgram("openssl")) return absl::FailedPreconditionError("openssl is missing (scripts/setup.sh)");
  std::unique_ptr<Rclone> r(new Rclone());
  r->dir_ = dir;
  r->config_ = dir + "/rclone.conf";
  r->password_ = "paraat-offsite-2c9d";
  for (const std::string& sub : {r->sftp_root(), r->webdav_root(), r->crypt_root(), dir + "/home"}) {
    std::filesystem::create_directories(sub);
  }
  RunResult key = RunCommand({"openssl", "genpkey", "-algorithm", "ed25519", "-out", dir + "/host_key"});
  if (key.exit_code != 0) return absl::InternalError("openssl genpkey: " + key.output);
  WriteFileOrDie(dir + "/authorized_keys", "");
  r->sftp_port_ = FreePort();
  r->webdav_port_ = FreePort();
  auto pass = r->Obscure(r->password_);
  auto crypt_pass = r->Obscure("paraat-crypt-8a41");
  auto crypt_salt = r->Obscure("paraat-salt-03f7");
  for (const auto* s : {&pass, &crypt_pass, &crypt_salt}) {
    if (!s->ok()) return s->status();
  }
  WriteFileOrDie(r->config_, absl::StrCat("[local]\ntype = local\n\n[sftp]\ntype = sftp\nhost = 127.0.0.1\nport = ",
                                          r->sftp_port_, "\nuser = ", kUser, "\npass = ", *pass,
                                          "\nshell_type = unix\nmd5sum_command = md5sum\nsha1sum_command = sha1sum\n\n"
                                          "[webdav]\ntype = webdav\nurl = http://127.0.0.1:",
                                          r->webdav_port_, "/\nvendor = other\nuser = ", kUser, "\npass = ", *pass,
                                          "\n\n[crypt]\ntype = crypt\nremote = local:", r->crypt_root(),
                                          "\npassword = ", *crypt_pass, "\npassword2 = ", *crypt_salt, "\n"));
  absl::Status st = r->StartSftp();
  if (st.ok()) {
    st = r->Serve({"webdav", r->webdav_root(), "--addr", absl::StrCat("127.0.0.1:", r->webdav_port_)}, r->webdav_port_,
                  "webdav.log", &r->webdav_);
  }
  if (!st.ok()) return st;
  return r;
}

absl::StatusOr<std::string> Rclone::Obscure(const std::string& secret) const {
  RunResult r = RunCommand({"rclone", "obscure", secret});
  if (r.exit_code != 0) return absl::InternalError("rclone obscure: " + r.output);
  return std::string(absl::StripAsciiWhitespace(r.output));
}

absl::Status Rclone::StartSftp() {
  return Serve({"sftp", sftp_root(), "--addr", absl::StrCat("127.0.0.1:", sftp_port_), "--key", dir_ + "/host_key",
                "--authorized-keys", dir_ + "/authorized_keys"},
               sftp_port_, "sftp.log", &sftp_);
}

absl::Status Rclone::Serve(const std::vector<std::string>& args, int port, const std::string& log,
                           std::unique_ptr<Process>* process) {
  std::vector<std::string> argv = {"rclone", "--config", config_, "serve"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--user", kUser, "--pass", password_, "--dir-cache-time", "0s"});
  auto p = Process::Start(argv, dir_ + "/" + log, {{"HOME", dir_ + "/home"}});
  if (!p.ok()) return p.status();
  *process = *std::move(p);
  if (!WaitFor([&] { return PortOpen(port) || !(*process)->Running(); }, absl::Seconds(30)) || !PortOpen(port)) {
    return absl::InternalError(
        absl::StrCat("rclone serve ", args[0], " did not listen on ", port, ":\n", (*process)->Log()));
  }
  return absl::OkStatus();
}

RunResult Rclone::Run(const std::vector<std::string>& args, absl::Duration timeout) const {
  std::vector<std::string> argv = {"rclone", "--config", config_, "--cache-dir", dir_ + "/cache"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, timeout, "", {{"HOME", dir_ + "/home"}});
}

}  // namespace paraat::testing
