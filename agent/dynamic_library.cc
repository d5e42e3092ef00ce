#include "agent/dynamic_library.h"

#include <dlfcn.h>

#include "absl/strings/str_cat.h"

namespace paraat {

absl::StatusOr<DynamicLibrary> DynamicLibrary::Open(const std::string& soname, const std::string& package) {
  void* handle = ::dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return absl::FailedPreconditionError(absl::StrCat("cannot load ", soname, " (install the Debian package ", package,
                                                      "): ", why ? why : "unknown error"));
  }
  return DynamicLibrary(handle, soname);
}

void* DynamicLibrary::Find(const char* symbol) {
  ::dlerror();
  void* p = ::dlsym(handle_, symbol);
  if (p == nullptr && error_.ok()) {
    error_ = absl::FailedPreconditionError(
        absl::StrCat(soname_, " has no function ", symbol, " (a version too old for Paraat?)"));
  }
  return p;
}

}  // namespace paraat
