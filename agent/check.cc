#include "agent/check.h"

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
  if (message.size() > 1000) message = message.substr(0, 997) + "...";
  r->set_message(std::move(message));
}

void AddDetail(paraat::v1::Result* r, const std::string& key, const std::string& value) {
  auto* d = r->add_details();
  d->set_key(key);
  d->set_value(value.size() > 4096 ? value.substr(0, 4096) : value);
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
