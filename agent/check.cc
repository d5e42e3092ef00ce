#include "agent/check.h"

#include "common/text.h"

namespace paraat {
namespace {
class NoProgress : public Progress {
 public:
  void Update(absl::string_view, uint64_t, uint64_t) override {}
};
}  // namespace

Progress* Progress::None() {
  static NoProgress* none = new NoProgress();
  return none;
}

void SetStatus(paraat::v1::Result* r, paraat::v1::CheckStatus status, std::string message) {
  r->set_status(status);
  // On a character boundary: half a character would be escaped as bytes (common/text.h).
  if (message.size() > 1000) message = TruncateUtf8(message, 1000);
  r->set_message(std::move(message));
}

void AddDetail(paraat::v1::Result* r, const std::string& key, const std::string& value) {
  auto* d = r->add_details();
  d->set_key(key);
  d->set_value(std::string(Utf8Prefix(value, 4096)));
}

void AddValue(paraat::v1::Result* r, const std::string& name, double value, const std::string& unit) {
  auto* v = r->add_values();
  v->set_name(name);
  v->set_value(value);
  v->set_unit(unit);
}

const char* StatusName(paraat::v1::CheckStatus status) {
  switch (status) {
    case paraat::v1::CHECK_STATUS_OK:
      return "ok";
    case paraat::v1::CHECK_STATUS_WARNING:
      return "warning";
    case paraat::v1::CHECK_STATUS_FAILED:
      return "failed";
    case paraat::v1::CHECK_STATUS_ERROR:
      return "error";
    default:
      return "unspecified";
  }
}

}  // namespace paraat
