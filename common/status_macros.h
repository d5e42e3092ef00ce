// Small helpers for absl::Status propagation. abseil 20220623 (Debian 12) ships none.
// docs/errors.md says which status code to use for what.
#ifndef PARAAT_COMMON_STATUS_MACROS_H_
#define PARAAT_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PARAAT_CONCAT_INNER_(a, b) a##b
#define PARAAT_CONCAT_(a, b) PARAAT_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define PARAAT_RETURN_IF_ERROR(expr)            \
  do {                                          \
    if (absl::Status _st = (expr); !_st.ok()) { \
      return _st;                               \
    }                                           \
  } while (false)

// `lhs = value of expr`, or returns its status. `lhs` may declare a variable.
#define PARAAT_ASSIGN_OR_RETURN(lhs, expr) \
  PARAAT_ASSIGN_OR_RETURN_IMPL_(PARAAT_CONCAT_(_statusor_, __LINE__), lhs, expr)
#define PARAAT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()

#endif  // PARAAT_COMMON_STATUS_MACROS_H_
