#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "collector/store/pg_store.h"
#include "collector/store/sqlite_store.h"
#include "collector/store/store.h"

namespace paraat {

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url) {
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "sqlite://")) {
    if (rest.empty()) return absl::InvalidArgumentError("sqlite:// needs a file path");
    return std::unique_ptr<Store>(new SqliteStore(std::string(rest)));
  }
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
    return std::unique_ptr<Store>(new PgStore(url));
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported storage URL \"", url, "\""));
}

}  // namespace paraat
