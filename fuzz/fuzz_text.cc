// The text sanitiser (common/text.h, common/proto_text.h) on any bytes: the escaped form is valid
// UTF-8 by protobuf's own check and decodes back to exactly those bytes; cuts of escaped text are
// escaped text that decodes to a prefix (suffix) of the bytes; what terminals and logs are shown
// holds no control they act on; a result made ready for the wire parses back within its limits.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/proto_text.h"
#include "common/text.h"
#include "paraat/v1/result.pb.h"

namespace {

bool ParsesBack(const paraat::v1::Result& r) {
  paraat::v1::Result back;
  return back.ParseFromString(r.SerializeAsString());
}

// No C0 control but TAB (and newline when allowed), no DEL, no C1 control encoded as UTF-8.
bool Inert(const std::string& s, bool newlines) {
  if (!paraat::IsValidUtf8(s)) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 && c != '\t' && !(newlines && c == '\n')) return false;
    if (c == 0x7f) return false;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::string escaped = paraat::EscapeUtf8(bytes);
  if (!paraat::IsValidUtf8(escaped)) __builtin_trap();
  if (paraat::UnescapeUtf8(escaped) != bytes) __builtin_trap();
  if (paraat::NeedsUtf8Escape(bytes) != (escaped != bytes)) __builtin_trap();
  paraat::v1::Result r;
  r.set_message(escaped);
  if (!ParsesBack(r)) __builtin_trap();  // protobuf agrees it is UTF-8

  const size_t max = size == 0 ? 0 : data[0];
  for (absl::string_view cut : {paraat::EscapedPrefix(escaped, max), paraat::EscapedSuffix(escaped, max)}) {
    if (cut.size() > max || !paraat::IsValidUtf8(cut)) __builtin_trap();
  }
  const std::string head = paraat::UnescapeUtf8(paraat::EscapedPrefix(escaped, max));
  const std::string tail = paraat::UnescapeUtf8(paraat::EscapedSuffix(escaped, max));
  if (bytes.compare(0, head.size(), head) != 0) __builtin_trap();
  if (tail.size() > bytes.size() || bytes.compare(bytes.size() - tail.size(), tail.size(), tail) != 0) {
    __builtin_trap();
  }
  if (paraat::IsValidUtf8(bytes) &&
      !(paraat::IsValidUtf8(paraat::Utf8Prefix(bytes, max)) && paraat::IsValidUtf8(paraat::Utf8Suffix(bytes, max)))) {
    __builtin_trap();
  }

  if (!Inert(paraat::ForTerminal(bytes), true) || !Inert(paraat::OneLine(bytes), false)) __builtin_trap();

  paraat::v1::Result wire;
  wire.set_message(bytes);
  wire.set_output_tail(bytes + bytes);
  auto* d = wire.add_details();
  d->set_key(bytes.substr(0, 40));
  d->set_value(bytes);
  auto* v = wire.add_values();
  v->set_name(bytes);
  v->set_unit(bytes.substr(0, 16));
  paraat::PrepareForWire(&wire);
  if (!ParsesBack(wire) || wire.values(0).unit().size() > 16 || wire.details(0).value().size() > 4096) {
    __builtin_trap();
  }
  if (d->raw_value().empty() && paraat::UnescapeUtf8(d->value()) != bytes) __builtin_trap();
  return 0;
}
