#include "agent/checks/dns.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace paraat {

std::unique_ptr<Check> DnsCheck::Create(YamlMap& keys, const CheckEnv&) {
  auto name = keys.String("name", kRequired);
  std::vector<std::string> expect;
  if (auto v = keys.StringList("expect")) {
    for (const auto& a : *v) {
      in6_addr buf;
      if (inet_pton(AF_INET, a.c_str(), &buf) != 1 && inet_pton(AF_INET6, a.c_str(), &buf) != 1) {
        keys.Error("expect", absl::StrCat("\"", a, "\" is not an IP address"));
      }
      expect.push_back(a);
    }
  }
  if (!name) return nullptr;
  return std::make_unique<DnsCheck>(*name, expect);
}

void DnsCheck::Run(const CheckContext&, paraat::v1::Result* r) {
  AddDetail(r, "name", name_);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(name_.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    r->mutable_facts()->set_ready(false);
    if (rc == EAI_AGAIN || rc == EAI_SYSTEM || rc == EAI_MEMORY) {
      Error(r, absl::StrCat("cannot resolve ", name_, ": ", gai_strerror(rc), " (resolver unavailable?)"));
    } else {
      Fail(r, absl::StrCat(name_, " does not resolve: ", gai_strerror(rc)));
    }
    return;
  }
  std::set<std::string> got;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    char buf[INET6_ADDRSTRLEN];
    const void* addr = ai->ai_family == AF_INET
                           ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr)
                           : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr);
    if (inet_ntop(ai->ai_family, addr, buf, sizeof buf)) got.insert(buf);
  }
  ::freeaddrinfo(res);
  AddDetail(r, "addresses", absl::StrJoin(got, " "));
  std::vector<std::string> missing;
  for (const auto& e : expect_) {
    if (!got.count(e)) missing.push_back(e);
  }
  r->mutable_facts()->set_ready(missing.empty());
  if (!missing.empty()) {
    Fail(r, absl::StrCat(name_, " resolves to ", absl::StrJoin(got, ", "), ", not to ", absl::StrJoin(missing, ", ")));
  } else {
    Ok(r, absl::StrCat(name_, " resolves to ", absl::StrJoin(got, ", ")));
  }
}

}  // namespace paraat
