#include "tests/testlib/certs.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {

absl::StatusOr<TestCa> TestCa::Create(const std::string& dir, const std::string& name) {
  TestCa ca;
  ca.dir_ = dir;
  std::filesystem::create_directories(dir + "/ca-db");
  ca.ca_pem_ = dir + "/ca.pem";
  ca.ca_key_ = dir + "/ca.key";
  RunResult r = RunCommand({"openssl",
                            "req",
                            "-x509",
                            "-newkey",
                            "ec",
                            "-pkeyopt",
                            "ec_paramgen_curve:P-256",
                            "-nodes",
                            "-keyout",
                            ca.ca_key_,
                            "-out",
                            ca.ca_pem_,
                            "-days",
                            "3650",
                            "-subj",
                            "/CN=" + name,
                            "-addext",
                            "basicConstraints=critical,CA:TRUE",
                            "-addext",
                            "keyUsage=critical,keyCertSign,cRLSign"});
  if (r.exit_code != 0) return absl::InternalError("openssl req (CA) failed: " + r.output);
  WriteFileOrDie(dir + "/ca-db/index.txt", "");
  WriteFileOrDie(dir + "/ca-db/serial", "1000\n");
  WriteFileOrDie(dir + "/ca.cnf", absl::StrCat("[ca]\ndefault_ca = test\n[test]\ndir = ", dir,
                                               "/ca-db\ndatabase = $dir/index.txt\nserial = $dir/serial\n"
                                               "new_certs_dir = $dir\ndefault_md = sha256\npolicy = any\n"
                                               "copy_extensions = copy\nunique_subject = no\n"
                                               "[any]\ncommonName = supplied\n"));
  return ca;
}

absl::StatusOr<CertFiles> TestCa::Issue(const std::string& name, const std::string& cn, const std::string& san,
                                        const std::string& start, const std::string& end) const {
  CertFiles f;
  f.key = absl::StrCat(dir_, "/", name, ".key");
  f.cert = absl::StrCat(dir_, "/", name, ".pem");
  f.pem = absl::StrCat(dir_, "/", name, "-both.pem");
  const std::string csr = absl::StrCat(dir_, "/", name, ".csr");
  std::vector<std::string> req = {"openssl",  "req",     "-newkey", "ec",   "-pkeyopt", "ec_paramgen_curve:P-256",
                                  "-nodes",   "-keyout", f.key,     "-out", csr,        "-subj",
                                  "/CN=" + cn};
  if (!san.empty()) req.insert(req.end(), {"-addext", "subjectAltName=" + san});
  RunResult r = RunCommand(req);
  if (r.exit_code != 0) return absl::InternalError("openssl req failed: " + r.output);
  r = RunCommand({"openssl", "ca", "-batch", "-config", dir_ + "/ca.cnf", "-cert", ca_pem_, "-keyfile", ca_key_, "-in",
                  csr, "-out", f.cert, "-startdate", start, "-enddate", end, "-notext"});
  if (r.exit_code != 0) return absl::InternalError("openssl ca failed: " + r.output);
  WriteFileOrDie(f.pem, ReadFileOrDie(f.cert) + ReadFileOrDie(f.key));
  return f;
}

absl::StatusOr<CertFiles> TestCa::Issue(const std::string& name, const std::string& cn, const std::string& san,
                                        int days) const {
  const absl::Time now = absl::Now();
  auto fmt = [](absl::Time t) { return absl::FormatTime("%Y%m%d%H%M%SZ", t, absl::UTCTimeZone()); };
  return Issue(name, cn, san, fmt(now - absl::Hours(1)), fmt(now + absl::Hours(24 * days)));
}

}  // namespace paraat::testing
