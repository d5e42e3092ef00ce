// Client libraries (libpq, libmariadb, libcurl) loaded at run time, and only by the checks that
// use them: an agent that verifies files and ports never maps them, nor what they pull in
// (Kerberos, LDAP, GnuTLS, ...), which is most of a dynamically linked agent's memory.
//
// Each library's functions are bound once into a table of function pointers:
//
//   #define PARAAT_LIBPQ(X) X(connectdb, PQconnectdb) X(finish, PQfinish)
//   struct LibPq { PARAAT_LIBPQ(PARAAT_DECLARE_FUNCTION) };
//   const absl::StatusOr<LibPq>& LoadLibPq() {
//     return LoadLibraryOnce<LibPq>("libpq.so.5", "libpq5",
//         [](DynamicLibrary& lib, LibPq& api) { PARAAT_LIBPQ(PARAAT_BIND_FUNCTION) });
//   }
//
// The C headers still declare the types; only the linking moves to run time.
#ifndef PARAAT_AGENT_DYNAMIC_LIBRARY_H_
#define PARAAT_AGENT_DYNAMIC_LIBRARY_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace paraat {

class DynamicLibrary {
 public:
  // Loads `soname` (e.g. "libpq.so.5"); the error names the Debian package that provides it.
  static absl::StatusOr<DynamicLibrary> Open(const std::string& soname, const std::string& package);

  // Binds `fn` to the library's `symbol`; false (and error() says which) if it is missing.
  template <typename F>
  bool Bind(const char* symbol, F*& fn) {
    fn = reinterpret_cast<F*>(Find(symbol));
    return fn != nullptr;
  }
  const absl::Status& error() const { return error_; }
  // For a library that must also be initialised: the first error is kept.
  void Fail(absl::Status status) {
    if (error_.ok()) error_ = std::move(status);
  }

 private:
  DynamicLibrary(void* handle, std::string soname) : handle_(handle), soname_(std::move(soname)) {}
  void* Find(const char* symbol);

  void* handle_;  // never closed: the bound functions live as long as the process
  std::string soname_;
  absl::Status error_;
};

// Opens the library and runs `bind(lib, api)`, which binds every function of Api.
template <typename Api, typename BindFn>
absl::StatusOr<Api> BindLibrary(const std::string& soname, const std::string& package, BindFn bind) {
  absl::StatusOr<DynamicLibrary> lib = DynamicLibrary::Open(soname, package);
  if (!lib.ok()) return lib.status();
  Api api{};
  bind(*lib, api);
  if (!lib->error().ok()) return lib->error();
  return api;
}

// BindLibrary once, on first use; the functions stay bound for the life of the process.
template <typename Api, typename BindFn>
const absl::StatusOr<Api>& LoadLibraryOnce(const std::string& soname, const std::string& package, BindFn bind) {
  static const auto* api = new absl::StatusOr<Api>(BindLibrary<Api>(soname, package, bind));
  return *api;
}

#define PARAAT_DECLARE_FUNCTION(member, symbol) decltype(&::symbol) member;
#define PARAAT_BIND_FUNCTION(member, symbol) lib.Bind(#symbol, api.member);

}  // namespace paraat

#endif  // PARAAT_AGENT_DYNAMIC_LIBRARY_H_
