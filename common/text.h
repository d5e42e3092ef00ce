// Text from outside (file names, tool output, what agents send) made safe for the places it
// goes. Scheme and rationale: docs/text.md.
//
// Protobuf strings must be valid UTF-8, or the message does not parse back. EscapeUtf8 maps any
// bytes to valid UTF-8, reversibly: UnescapeUtf8(EscapeUtf8(b)) == b for every byte string b.
//   - a well-formed UTF-8 character stays as it is;
//   - a byte that is not part of one becomes the four characters \xHH (upper-case hex);
//   - a backslash becomes \\ only where the text after it would otherwise read as an escape
//     (another backslash, an escaped byte, or "x" and two hex digits); elsewhere it stays.
// So valid UTF-8 is unchanged unless it holds such a backslash sequence, e.g. "C:\backup" and
// "a\nb" stay as they are, "caf\xE9" (one byte E9) becomes `caf\xE9` and the text `\xE9` becomes
// `\\xE9`. Apply it once, where bytes become text (the agent's edge): escaping escaped text again
// changes it.
//
// Terminals and logs act on control characters. ForTerminal and OneLine show them instead:
// C0 controls (except TAB, and newline in ForTerminal), DEL and bytes that are not UTF-8 as \xHH,
// CR as \r, C1 controls and the Unicode line separators and bidirectional overrides as \uHHHH,
// and in OneLine a newline as ⏎. Neither is reversible; they are for people, not machines.
//
// Truncation: Utf8Prefix/Utf8Suffix cut on a character boundary; EscapedPrefix/EscapedSuffix
// also never split an escape of EscapeUtf8's output.
//
// Thread-safety: pure functions.
#ifndef PARAAT_COMMON_TEXT_H_
#define PARAAT_COMMON_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace paraat {

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), the
// check protobuf applies to string fields.
bool IsValidUtf8(absl::string_view bytes);

// False when EscapeUtf8(bytes) == bytes (one scan, no allocation).
bool NeedsUtf8Escape(absl::string_view bytes);
std::string EscapeUtf8(absl::string_view bytes);
// In place; returns whether it changed anything.
bool EscapeUtf8InPlace(std::string* bytes);
// The inverse: `\\` is a backslash, `\xHH` (either case) the byte HH, any other backslash itself.
std::string UnescapeUtf8(absl::string_view text);

// The longest prefix (suffix) of at most max_bytes that does not end (start) inside a UTF-8
// character.
absl::string_view Utf8Prefix(absl::string_view text, size_t max_bytes);
absl::string_view Utf8Suffix(absl::string_view text, size_t max_bytes);
// The same for EscapeUtf8's output, also keeping each \xHH and \\ whole.
absl::string_view EscapedPrefix(absl::string_view text, size_t max_bytes);
absl::string_view EscapedSuffix(absl::string_view text, size_t max_bytes);
// `text` cut to at most max_bytes on a character boundary, ending in `ellipsis` when cut.
std::string TruncateUtf8(absl::string_view text, size_t max_bytes, absl::string_view ellipsis = "...");

// For a terminal: controls shown (see above), newlines and TABs kept.
std::string ForTerminal(absl::string_view text);
// For a table cell or a log line: as ForTerminal, and newlines shown as ⏎ (trailing ones dropped).
std::string OneLine(absl::string_view text);
void AppendOneLine(std::string* out, absl::string_view text);

}  // namespace paraat

#endif  // PARAAT_COMMON_TEXT_H_
