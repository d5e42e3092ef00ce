// Protobuf messages whose strings came from outside (file names, tool output): made valid UTF-8
// and kept within the collector's limits before they are serialized, and read back when an older
// agent serialized bytes that are not UTF-8 (which protobuf then refuses to parse).
//
// Every string field is found by reflection, so a field added to the protocol later is covered
// without touching this code. Thread-safe.
#ifndef PARAAT_COMMON_PROTO_TEXT_H_
#define PARAAT_COMMON_PROTO_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace paraat {

// The agent's edge: every string field of `message` and its sub-messages, at any depth, made
// valid UTF-8 with EscapeUtf8 (common/text.h), then cut to its field's wire limit (WireLimit).
// A cut keeps the start (the end, for an output tail), ends on a whole character or escape and
// is marked with "…". When a cut string has a `bytes raw_<name>` sibling (Detail.raw_value), the
// exact original bytes go there, so nothing is lost. Apply once per message: escaping is not
// idempotent (common/text.h).
void PrepareForWire(google::protobuf::Message* message);

// Whether PrepareForWire checks a clean Result through its generated accessors (5 times faster
// than reflection) because it knows every string field Result holds. False once a string field
// is added to Result or its parts and not to that check: still correct, only slower.
bool ResultFastPathActive();

// Only the limits, for strings already escaped (ParseEscapingInvalidUtf8's output).
void CapForWire(google::protobuf::Message* message);

// The most bytes the collector accepts in this string field (collector/validation.h), or 0 for
// no limit of its own (ids are checked, never cut: cutting would rename).
size_t WireLimit(const google::protobuf::FieldDescriptor* field);

// ParseFromString, except that a string field holding bytes that are not UTF-8 is escaped
// (EscapeUtf8) instead of failing the parse. False only when `bytes` is not a serialized
// `out` at all (truncated, damaged).
[[nodiscard]] bool ParseEscapingInvalidUtf8(absl::string_view bytes, google::protobuf::Message* out);

}  // namespace paraat

#endif  // PARAAT_COMMON_PROTO_TEXT_H_
