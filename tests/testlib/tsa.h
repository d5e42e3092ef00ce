// A real RFC 3161 time-stamping authority for tests: `openssl ts -reply` behind a small HTTP
// responder on loopback, with a CA and a time-stamping certificate made by the openssl command
// line (MakeTsaFiles). Header-only: unit and integration tests both use it.
#ifndef PARAAT_TESTS_TESTLIB_TSA_H_
#define PARAAT_TESTS_TESTLIB_TSA_H_

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {

inline void Openssl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  auto r = RunCommand(args);
  ASSERT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\n" << r.output;
}

// A CA (ca.pem) and a TSA certificate (tsa.pem, tsa.key) with the critical extendedKeyUsage
// timeStamping RFC 3161 requires; a second, unrelated CA (other-ca.pem); the TSA's openssl
// configuration (tsa.cnf; tsa-sha512.cnf accepts only SHA-512 imprints, so it rejects ours).
inline void MakeTsaFiles(const std::string& dir) {
  for (const std::string ca : {"ca", "other-ca"}) {
    Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
             dir + "/" + ca + ".key", "-out", dir + "/" + ca + ".pem", "-days", "30", "-subj", "/CN=Paraat Test " + ca,
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
  }
  Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir + "/tsa.key", "-out",
           dir + "/tsa.csr", "-subj", "/CN=Paraat Test TSA"});
  WriteFileOrDie(dir + "/tsa.ext",
                 "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                 "extendedKeyUsage=critical,timeStamping\n");
  Openssl({"x509", "-req", "-in", dir + "/tsa.csr", "-CA", dir + "/ca.pem", "-CAkey", dir + "/ca.key",
           "-CAcreateserial", "-out", dir + "/tsa.pem", "-days", "30", "-extfile", dir + "/tsa.ext"});
  for (const auto& [name, digests] :
       {std::pair<std::string, std::string>{"tsa", "sha256, sha384, sha512"}, {"tsa-sha512", "sha512"}}) {
    WriteFileOrDie(
        dir + "/" + name + ".cnf",
        absl::StrCat("[tsa]\ndefault_tsa = tsa1\n[tsa1]\ndir = ", dir,
                     "\nserial = $dir/tsaserial\nsigner_cert = $dir/tsa.pem\ncerts = $dir/ca.pem\n"
                     "signer_key = $dir/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.3.6.1.4.1.99999.1\n"
                     "digests = ",
                     digests, "\naccuracy = secs:1\nordering = yes\ntsa_name = yes\ness_cert_id_alg = sha256\n"));
  }
  WriteFileOrDie(dir + "/tsaserial", "01\n");
}

// One HTTP/1.1 request at a time on 127.0.0.1, answered as `mode` says.
class FakeTsa {
 public:
  enum class Mode { kReply, kRejectingConfig, kGarbage, kHttpError, kHang, kReplay };

  explicit FakeTsa(std::string dir) : dir_(std::move(dir)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeTsa() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  void set_mode(Mode m) { mode_ = m; }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/tsa"); }
  std::string content_type() {
    std::lock_guard<std::mutex> l(mu_);
    return content_type_;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) break;
      Handle(c);
      ::close(c);
    }
  }

  void Handle(int c) {
    std::string in;
    char buf[8192];
    size_t header_end = std::string::npos, length = 0;
    while (header_end == std::string::npos || in.size() < header_end + 4 + length) {
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
      if (header_end == std::string::npos && (header_end = in.find("\r\n\r\n")) != std::string::npos) {
        const std::string lower = absl::AsciiStrToLower(in.substr(0, header_end));
        const size_t at = lower.find("content-length: ");
        if (at != std::string::npos)
          (void)absl::SimpleAtoi(lower.substr(at + 16, lower.find('\r', at) - at - 16), &length);
        const size_t ct = lower.find("content-type: ");
        std::lock_guard<std::mutex> l(mu_);
        if (ct != std::string::npos) content_type_ = lower.substr(ct + 14, lower.find('\r', ct) - ct - 14);
      }
    }
    const std::string body = in.substr(header_end + 4, length);
    const Mode mode = mode_;
    if (mode == Mode::kHang) {  // until the client gives up and closes
      pollfd p{c, POLLIN, 0};
      while (!stop_ && (::poll(&p, 1, 10) == 0 || ::read(c, buf, sizeof buf) > 0)) {
      }
      return;
    }
    std::string status = "200 OK", answer;
    if (mode == Mode::kGarbage) {
      answer = "<html>Service temporarily unavailable</html>";
    } else if (mode == Mode::kHttpError) {
      status = "500 Internal Server Error";
    } else if (mode == Mode::kReplay && !last_.empty()) {
      answer = last_;
    } else {
      WriteFileOrDie(dir_ + "/req.tsq", body);
      const std::string cnf = dir_ + (mode == Mode::kRejectingConfig ? "/tsa-sha512.cnf" : "/tsa.cnf");
      auto r = RunCommand(
          {"openssl", "ts", "-reply", "-config", cnf, "-queryfile", dir_ + "/req.tsq", "-out", dir_ + "/resp.tsr"});
      if (r.exit_code != 0) {
        status = "500 Internal Server Error";
        answer = r.output;
      } else {
        answer = ReadFileOrDie(dir_ + "/resp.tsr");
        if (mode != Mode::kRejectingConfig) last_ = answer;
      }
    }
    const std::string out = absl::StrCat("HTTP/1.1 ", status, "\r\nContent-Type: application/timestamp-reply\r\n",
                                         "Content-Length: ", answer.size(), "\r\nConnection: close\r\n\r\n", answer);
    (void)!::write(c, out.data(), out.size());
  }

  std::string dir_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<Mode> mode_{Mode::kReply};
  std::mutex mu_;
  std::string content_type_, last_;
  std::thread thread_;
};

}  // namespace paraat::testing

#endif  // PARAAT_TESTS_TESTLIB_TSA_H_
