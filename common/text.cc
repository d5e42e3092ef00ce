#include "common/text.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace paraat {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

inline unsigned char At(absl::string_view s, size_t i) { return static_cast<unsigned char>(s[i]); }
inline bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }
inline bool IsHexDigit(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline int HexValue(unsigned char c) {
  if (c <= '9') return c - '0';
  return (c | 0x20) - 'a' + 10;
}

// Length of the well-formed UTF-8 character starting at s[i], or 0 when s[i] starts none
// (RFC 3629, table 3-7 of the Unicode standard).
size_t CharLength(absl::string_view s, size_t i) {
  const unsigned char c = At(s, i);
  if (c < 0x80) return 1;
  const size_t left = s.size() - i;
  auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < left && At(s, i + k) >= lo && At(s, i + k) <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// Eight bytes at s[i] are all printable ASCII (no control, no DEL).
inline bool PrintableBlock(absl::string_view s, size_t i) {
  uint64_t v;
  std::memcpy(&v, s.data() + i, 8);
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  if (v & kHigh) return false;
  // "Has a byte below n" (exact for ASCII): any byte below 0x20, or equal to 0x7F.
  if ((v - kOnes * 0x20) & ~v & kHigh) return false;
  const uint64_t del = v ^ (kOnes * 0x7F);
  return ((del - kOnes) & ~del & kHigh) == 0;
}

// Length of the run of ASCII bytes at the start of s.
size_t AsciiPrefixLength(absl::string_view s) {
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  size_t i = 0;
  for (; i + 32 <= s.size(); i += 32) {
    uint64_t v[4];
    std::memcpy(v, s.data() + i, 32);
    if ((v[0] | v[1] | v[2] | v[3]) & kHigh) break;
  }
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t v;
    std::memcpy(&v, s.data() + i, 8);
    if (v & kHigh) break;
  }
  while (i < s.size() && At(s, i) < 0x80) ++i;
  return i;
}

// In EscapeUtf8's input: the backslash at s[i] must be doubled, because what follows it would
// read as an escape: a backslash, a byte that will be escaped, or "x" and two hex digits.
bool BackslashNeedsDoubling(absl::string_view s, size_t i) {
  const size_t n = i + 1;
  if (n >= s.size()) return false;
  const unsigned char c = At(s, n);
  if (c == '\\') return true;
  if (c >= 0x80) return CharLength(s, n) == 0;
  return c == 'x' && n + 2 < s.size() && IsHexDigit(At(s, n + 1)) && IsHexDigit(At(s, n + 2));
}

// Length of the unit of escaped text at t[i]: an escape (\\ or \xHH), a character, or one byte.
size_t EscapedUnitLength(absl::string_view t, size_t i) {
  if (t[i] == '\\' && i + 1 < t.size()) {
    if (t[i + 1] == '\\') return 2;
    if (t[i + 1] == 'x' && i + 3 < t.size() && IsHexDigit(At(t, i + 2)) && IsHexDigit(At(t, i + 3))) return 4;
  }
  const size_t n = CharLength(t, i);
  return n == 0 ? 1 : n;
}

void AppendHexByte(std::string* out, unsigned char c) {
  const char e[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
  out->append(e, 4);
}

void AppendCodePoint(std::string* out, uint32_t cp) {
  const char e[6] = {'\\', 'u', kHex[(cp >> 12) & 15], kHex[(cp >> 8) & 15], kHex[(cp >> 4) & 15], kHex[cp & 15]};
  out->append(e, 6);
}

// A code point a terminal or a log reader acts on although it is not C0: C1 controls, the line
// and paragraph separators, and the bidirectional embeddings, overrides and isolates (which
// reorder what is shown, "Trojan Source").
bool IsActiveCodePoint(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

uint32_t Decode(absl::string_view s, size_t i, size_t len) {
  const unsigned char c = At(s, i);
  if (len == 2) return ((c & 0x1Fu) << 6) | (At(s, i + 1) & 0x3Fu);
  if (len == 3) return ((c & 0x0Fu) << 12) | ((At(s, i + 1) & 0x3Fu) << 6) | (At(s, i + 2) & 0x3Fu);
  return ((c & 0x07u) << 18) | ((At(s, i + 1) & 0x3Fu) << 12) | ((At(s, i + 2) & 0x3Fu) << 6) | (At(s, i + 3) & 0x3Fu);
}

void AppendDisplay(std::string* out, absl::string_view text, bool one_line) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    // Runs of plain ASCII are copied as they are.
    size_t run = i;
    while (run + 8 <= n && PrintableBlock(text, run)) run += 8;
    while (run < n && At(text, run) >= 0x20 && At(text, run) < 0x7F) ++run;
    out->append(text.data() + i, run - i);
    i = run;
    if (i >= n) break;
    const unsigned char c = At(text, i);
    if (c < 0x80) {
      if (c == '\t' || (c == '\n' && !one_line)) {
        out->push_back(static_cast<char>(c));
      } else if (c == '\n') {
        out->append("\xE2\x8F\x8E");  // ⏎
      } else if (c == '\r') {
        out->append("\\r");
      } else {
        AppendHexByte(out, c);
      }
      ++i;
      continue;
    }
    const size_t len = CharLength(text, i);
    if (len == 0) {
      AppendHexByte(out, c);
      ++i;
      continue;
    }
    const uint32_t cp = Decode(text, i, len);
    if (IsActiveCodePoint(cp)) {
      AppendCodePoint(out, cp);
    } else {
      out->append(text.data() + i, len);
    }
    i += len;
  }
}

}  // namespace

bool IsValidUtf8(absl::string_view s) {
  size_t i = AsciiPrefixLength(s);
  while (i < s.size()) {
    const size_t n = CharLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool NeedsUtf8Escape(absl::string_view s) {
  // The common case, plain ASCII without a backslash, at memchr's and word-at-a-time speed; the
  // full scan starts at the first byte that may need it.
  const size_t ascii = AsciiPrefixLength(s);
  const void* bs = std::memchr(s.data(), '\\', ascii);
  size_t i = bs == nullptr ? ascii : static_cast<size_t>(static_cast<const char*>(bs) - s.data());
  while (i < s.size()) {
    const unsigned char c = At(s, i);
    if (c < 0x80) {
      if (c == '\\' && BackslashNeedsDoubling(s, i)) return true;
      ++i;
      continue;
    }
    const size_t n = CharLength(s, i);
    if (n == 0) return true;
    i += n;
  }
  return false;
}

std::string EscapeUtf8(absl::string_view s) {
  std::string out(s);
  EscapeUtf8InPlace(&out);
  return out;
}

bool EscapeUtf8InPlace(std::string* bytes) {
  if (!NeedsUtf8Escape(*bytes)) return false;
  const absl::string_view s(*bytes);
  std::string out;
  out.reserve(s.size() + s.size() / 4 + 8);
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = At(s, i);
    if (c == '\\') {
      out.append(BackslashNeedsDoubling(s, i) ? "\\\\" : "\\");
      ++i;
      continue;
    }
    const size_t n = CharLength(s, i);
    if (n == 0) {
      AppendHexByte(&out, c);
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  bytes->swap(out);
  return true;
}

std::string UnescapeUtf8(absl::string_view t) {
  std::string out;
  out.reserve(t.size());
  size_t i = 0;
  while (i < t.size()) {
    const size_t next = t.find('\\', i);
    if (next == absl::string_view::npos) {
      out.append(t.data() + i, t.size() - i);
      break;
    }
    out.append(t.data() + i, next - i);
    i = next;
    const size_t unit = EscapedUnitLength(t, i);
    if (unit == 2) {
      out.push_back('\\');
    } else if (unit == 4) {
      out.push_back(static_cast<char>(HexValue(At(t, i + 2)) * 16 + HexValue(At(t, i + 3))));
    } else {
      out.push_back('\\');
      i += 1;
      continue;
    }
    i += unit;
  }
  return out;
}

absl::string_view Utf8Prefix(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  // At most three continuation bytes follow a lead byte: back up over them.
  for (int k = 0; k < 3 && cut > 0 && IsContinuation(At(text, cut)); ++k) --cut;
  if (IsContinuation(At(text, cut))) cut = max_bytes;  // not UTF-8 here anyway: cut anywhere
  return text.substr(0, cut);
}

absl::string_view Utf8Suffix(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  const size_t start = text.size() - max_bytes;
  size_t cut = start;
  for (int k = 0; k < 3 && cut < text.size() && IsContinuation(At(text, cut)); ++k) ++cut;
  return text.substr(cut);
}

absl::string_view EscapedPrefix(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t i = 0;
  while (i < text.size()) {
    const size_t unit = EscapedUnitLength(text, i);
    if (i + unit > max_bytes) break;
    i += unit;
  }
  return text.substr(0, i);
}

absl::string_view EscapedSuffix(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  // Units are only known from the start (a backslash's meaning depends on those before it).
  const size_t start = text.size() - max_bytes;
  size_t i = 0;
  while (i < start) i += EscapedUnitLength(text, i);
  return text.substr(i);
}

std::string TruncateUtf8(absl::string_view text, size_t max_bytes, absl::string_view ellipsis) {
  if (text.size() <= max_bytes) return std::string(text);
  const size_t room = max_bytes > ellipsis.size() ? max_bytes - ellipsis.size() : 0;
  std::string out(Utf8Prefix(text, room));
  out.append(ellipsis.data(), std::min(ellipsis.size(), max_bytes));
  return out;
}

std::string ForTerminal(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendDisplay(&out, text, false);
  return out;
}

void AppendOneLine(std::string* out, absl::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  AppendDisplay(out, text, true);
}

std::string OneLine(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendOneLine(&out, text);
  return out;
}

}  // namespace paraat
