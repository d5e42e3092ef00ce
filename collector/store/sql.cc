#include "collector/store/sql.h"

#include "common/status_macros.h"

namespace paraat {

absl::StatusOr<std::optional<int64_t>> QueryInt(SqlConnection& c, const std::string& sql, const SqlParams& params) {
  std::optional<int64_t> out;
  PARAAT_RETURN_IF_ERROR(c.Run(sql, params, [&](const SqlRow& r) {
                            if (!r.IsNull(0)) out = r.Int(0);
                            return false;
                          }).status());
  return out;
}

absl::StatusOr<std::optional<std::string>> QueryText(SqlConnection& c, const std::string& sql,
                                                     const SqlParams& params) {
  std::optional<std::string> out;
  PARAAT_RETURN_IF_ERROR(c.Run(sql, params, [&](const SqlRow& r) {
                            if (!r.IsNull(0)) out = r.Text(0);
                            return false;
                          }).status());
  return out;
}

}  // namespace paraat
