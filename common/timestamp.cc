#include "common/timestamp.h"

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace paraat {
namespace {

constexpr size_t kMaxResponse = 1 << 20;

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using ReqPtr = std::unique_ptr<TS_REQ, Deleter<TS_REQ, TS_REQ_free>>;
using RespPtr = std::unique_ptr<TS_RESP, Deleter<TS_RESP, TS_RESP_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, Deleter<PKCS7, PKCS7_free>>;
using TstPtr = std::unique_ptr<TS_TST_INFO, Deleter<TS_TST_INFO, TS_TST_INFO_free>>;
using VerifyPtr = std::unique_ptr<TS_VERIFY_CTX, Deleter<TS_VERIFY_CTX, TS_VERIFY_CTX_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;

// Every queued OpenSSL error with its detail ("certificate verify error (Verify
// error:unable to get local issuer certificate)"), oldest first. Clears the queue.
std::string OpenSslErrors() {
  std::vector<std::string> parts;
  const char* data = nullptr;
  int flags = 0;
  unsigned long e;
  while ((e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    const char* reason = ERR_reason_error_string(e);
    std::string part = reason != nullptr ? reason : absl::StrCat("error ", e);
    if (data != nullptr && (flags & ERR_TXT_STRING) && *data) absl::StrAppend(&part, " (", data, ")");
    parts.push_back(std::move(part));
  }
  return parts.empty() ? "no detail from OpenSSL" : absl::StrJoin(parts, "; ");
}

absl::StatusOr<StorePtr> LoadCaFile(const std::string& ca_file) {
  StorePtr store(X509_STORE_new());
  if (!store || X509_STORE_load_file(store.get(), ca_file.c_str()) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the time-stamping CA file ", ca_file, ": ", OpenSslErrors()));
  }
  return store;
}

absl::StatusOr<absl::Time> GenTime(const TS_TST_INFO* info) {
  const ASN1_GENERALIZEDTIME* t = TS_TST_INFO_get_time(info);
  struct tm tm;
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return absl::DataLossError("time-stamp token has no valid genTime");
  const absl::CivilSecond cs(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return absl::FromCivil(cs, absl::UTCTimeZone());
}

// The token must time-stamp a SHA-256 imprint (TS_VERIFY_CTX compares the bytes only).
absl::Status CheckSha256(const TS_TST_INFO* info) {
  const X509_ALGOR* alg = TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(const_cast<TS_TST_INFO*>(info)));
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  if (obj == nullptr || OBJ_obj2nid(obj) != NID_sha256) {
    return absl::DataLossError("time-stamp token is not over a SHA-256 imprint");
  }
  return absl::OkStatus();
}

std::string StatusText(TS_STATUS_INFO* si) {
  static constexpr const char* kStatus[] = {"granted", "grantedWithMods",   "rejection",
                                            "waiting", "revocationWarning", "revocationNotification"};
  const long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
  std::string out = status >= 0 && status < 6 ? kStatus[status] : absl::StrCat("status ", status);
  static constexpr std::pair<int, const char*> kFailures[] = {{TS_INFO_BAD_ALG, "badAlg"},
                                                              {TS_INFO_BAD_REQUEST, "badRequest"},
                                                              {TS_INFO_BAD_DATA_FORMAT, "badDataFormat"},
                                                              {TS_INFO_TIME_NOT_AVAILABLE, "timeNotAvailable"},
                                                              {TS_INFO_UNACCEPTED_POLICY, "unacceptedPolicy"},
                                                              {TS_INFO_UNACCEPTED_EXTENSION, "unacceptedExtension"},
                                                              {TS_INFO_ADD_INFO_NOT_AVAILABLE, "addInfoNotAvailable"},
                                                              {TS_INFO_SYSTEM_FAILURE, "systemFailure"}};
  if (const ASN1_BIT_STRING* fi = TS_STATUS_INFO_get0_failure_info(si)) {
    for (const auto& [bit, name] : kFailures) {
      if (ASN1_BIT_STRING_get_bit(fi, bit)) absl::StrAppend(&out, ", ", name);
    }
  }
  if (const auto* texts = TS_STATUS_INFO_get0_text(si)) {
    for (int i = 0; i < sk_ASN1_UTF8STRING_num(texts); ++i) {
      const ASN1_UTF8STRING* s = sk_ASN1_UTF8STRING_value(texts, i);
      absl::StrAppend(&out, ": ",
                      absl::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                        static_cast<size_t>(ASN1_STRING_length(s))));
    }
  }
  return out;
}

size_t CollectBody(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > kMaxResponse) return 0;  // curl then fails with a write error
  body->append(data, size * n);
  return size * n;
}

struct HttpAnswer {
  long status = 0;
  std::string body;
};

absl::StatusOr<HttpAnswer> Post(const TimestampOptions& o, const std::string& body) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, Deleter<CURL, curl_easy_cleanup>> curl(curl_easy_init());
  if (!curl) return absl::InternalError("curl_easy_init failed");
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/timestamp-query");
  headers = curl_slist_append(headers, "Accept: application/timestamp-reply");
  std::unique_ptr<curl_slist, Deleter<curl_slist, curl_slist_free_all>> hold(headers);
  HttpAnswer answer;
  char err[CURL_ERROR_SIZE] = "";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, o.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(o.timeout)));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(
        absl::StrCat("time-stamping authority ", o.url, " did not answer within ", absl::FormatDuration(o.timeout)));
  }
  if (rc == CURLE_WRITE_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("time-stamping authority ", o.url, " answered more than 1 MiB"));
  }
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("time-stamping authority ", o.url, " unreachable: ", *err ? err : curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

}  // namespace

absl::StatusOr<TimestampRequest> MakeTimestampRequest(absl::string_view data) {
  TimestampRequest out;
  const Digest d = Sha256Of(data);
  out.imprint = std::string(DigestBytes(d));
  unsigned char nonce[8];
  if (RAND_bytes(nonce, sizeof nonce) != 1) return absl::InternalError("no random bytes for the nonce");
  out.nonce.assign(reinterpret_cast<char*>(nonce), sizeof nonce);

  ReqPtr req(TS_REQ_new());
  std::unique_ptr<TS_MSG_IMPRINT, Deleter<TS_MSG_IMPRINT, TS_MSG_IMPRINT_free>> imprint(TS_MSG_IMPRINT_new());
  std::unique_ptr<X509_ALGOR, Deleter<X509_ALGOR, X509_ALGOR_free>> alg(X509_ALGOR_new());
  std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>> bn(BN_bin2bn(nonce, sizeof nonce, nullptr));
  std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>> n(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr)
                                                                               : nullptr);
  bool ok = req && imprint && alg && n && TS_REQ_set_version(req.get(), 1) == 1 &&
            X509_ALGOR_set0(alg.get(), OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr) == 1 &&
            TS_MSG_IMPRINT_set_algo(imprint.get(), alg.get()) == 1 &&
            TS_MSG_IMPRINT_set_msg(imprint.get(), const_cast<unsigned char*>(d.data()), int(d.size())) == 1 &&
            TS_REQ_set_msg_imprint(req.get(), imprint.get()) == 1 && TS_REQ_set_nonce(req.get(), n.get()) == 1 &&
            TS_REQ_set_cert_req(req.get(), 1) == 1;
  unsigned char* der = nullptr;
  const int len = ok ? i2d_TS_REQ(req.get(), &der) : -1;
  if (len <= 0) return absl::InternalError(absl::StrCat("cannot build a TimeStampReq: ", OpenSslErrors()));
  out.der.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

absl::StatusOr<Timestamp> VerifyTimestampResponse(absl::string_view response, const TimestampRequest& request,
                                                  const std::string& ca_file) {
  const auto* p = reinterpret_cast<const unsigned char*>(response.data());
  RespPtr resp(d2i_TS_RESP(nullptr, &p, static_cast<long>(response.size())));
  if (!resp || p != reinterpret_cast<const unsigned char*>(response.data() + response.size())) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("the answer is not a TimeStampResp (", response.size(),
                                                   " bytes starting \"", absl::CHexEscape(response.substr(0, 16)),
                                                   "\")"));
  }
  TS_STATUS_INFO* si = TS_RESP_get_status_info(resp.get());
  const long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
  if (status != 0 && status != 1) {
    return absl::FailedPreconditionError(absl::StrCat("the time-stamping authority refused: ", StatusText(si)));
  }
  const auto* rp = reinterpret_cast<const unsigned char*>(request.der.data());
  ReqPtr req(d2i_TS_REQ(nullptr, &rp, static_cast<long>(request.der.size())));
  if (!req) return absl::InternalError("cannot re-read our own TimeStampReq");
  PARAAT_ASSIGN_OR_RETURN(StorePtr store, LoadCaFile(ca_file));
  // Imprint, nonce and version from the request; the signature and chain against the CA file.
  VerifyPtr ctx(TS_REQ_to_TS_VERIFY_CTX(req.get(), nullptr));
  if (!ctx) return absl::InternalError(absl::StrCat("TS_VERIFY_CTX: ", OpenSslErrors()));
  TS_VERIFY_CTX_add_flags(ctx.get(), TS_VFY_SIGNATURE);
  TS_VERIFY_CTX_set_store(ctx.get(), store.release());
  if (TS_RESP_verify_response(ctx.get(), resp.get()) != 1) {
    return absl::DataLossError(
        absl::StrCat("time-stamp token does not verify against ", ca_file, ": ", OpenSslErrors()));
  }
  const TS_TST_INFO* info = TS_RESP_get_tst_info(resp.get());
  PARAAT_RETURN_IF_ERROR(CheckSha256(info));
  Timestamp ts;
  PARAAT_ASSIGN_OR_RETURN(ts.gen_time, GenTime(info));
  unsigned char* der = nullptr;
  const int len = i2d_PKCS7(TS_RESP_get_token(resp.get()), &der);
  if (len <= 0) return absl::InternalError("cannot encode the time-stamp token");
  ts.token.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return ts;
}

absl::StatusOr<Timestamp> RequestTimestamp(absl::string_view data, const TimestampOptions& options) {
  PARAAT_ASSIGN_OR_RETURN(TimestampRequest request, MakeTimestampRequest(data));
  PARAAT_ASSIGN_OR_RETURN(HttpAnswer answer, Post(options, request.der));
  if (answer.status != 200) {
    return absl::UnavailableError(
        absl::StrCat("time-stamping authority ", options.url, " answered HTTP ", answer.status));
  }
  auto ts = VerifyTimestampResponse(answer.body, request, options.ca_file);
  if (!ts.ok()) {
    return absl::Status(ts.status().code(),
                        absl::StrCat("time-stamping authority ", options.url, ": ", ts.status().message()));
  }
  return ts;
}

absl::StatusOr<absl::Time> VerifyTimestampToken(absl::string_view token, absl::string_view data,
                                                const std::string& ca_file) {
  const auto* p = reinterpret_cast<const unsigned char*>(token.data());
  Pkcs7Ptr pkcs7(d2i_PKCS7(nullptr, &p, static_cast<long>(token.size())));
  if (!pkcs7 || p != reinterpret_cast<const unsigned char*>(token.data() + token.size())) {
    ERR_clear_error();
    return absl::DataLossError("time-stamp token is not a DER TimeStampToken");
  }
  TstPtr info(PKCS7_to_TS_TST_INFO(pkcs7.get()));
  if (!info) {
    ERR_clear_error();
    return absl::DataLossError("time-stamp token holds no TSTInfo");
  }
  PARAAT_RETURN_IF_ERROR(CheckSha256(info.get()));
  PARAAT_ASSIGN_OR_RETURN(StorePtr store, LoadCaFile(ca_file));
  VerifyPtr ctx(TS_VERIFY_CTX_new());
  const Digest d = Sha256Of(data);
  auto* imprint = static_cast<unsigned char*>(OPENSSL_malloc(d.size()));
  if (!ctx || imprint == nullptr) return absl::InternalError("out of memory");
  std::memcpy(imprint, d.data(), d.size());
  TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
  TS_VERIFY_CTX_set_imprint(ctx.get(), imprint, static_cast<long>(d.size()));  // takes ownership
  TS_VERIFY_CTX_set_store(ctx.get(), store.release());
  if (TS_RESP_verify_token(ctx.get(), pkcs7.get()) != 1) {
    return absl::DataLossError(
        absl::StrCat("time-stamp token does not verify against ", ca_file, ": ", OpenSslErrors()));
  }
  return GenTime(info.get());
}

}  // namespace paraat
