#include "common/base64.h"

#include <array>
#include <cstdint>

#include "absl/strings/escaping.h"

namespace paraat {
namespace {

constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> MakeTable() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
  return t;
}
constexpr std::array<uint8_t, 256> kTable = MakeTable();

}  // namespace

size_t Base64DecodedSize(absl::string_view text) {
  if (text.size() % 4 != 0) return std::string::npos;
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  return text.size() / 4 * 3 - pad;
}

namespace {

// Decodes into `out` (DecodedSize bytes); false on any character outside the alphabet, padding
// in the middle, or non-zero unused bits in the last group.
bool DecodeInto(absl::string_view text, uint8_t* out) {
  const size_t groups = text.size() / 4;
  const auto* in = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t g = 0; g + 1 < groups; ++g, in += 4, out += 3) {
    const uint32_t a = kTable[in[0]], b = kTable[in[1]], c = kTable[in[2]], d = kTable[in[3]];
    if ((a | b | c | d) & 0xc0) return false;
    const uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    out[0] = static_cast<uint8_t>(v >> 16);
    out[1] = static_cast<uint8_t>(v >> 8);
    out[2] = static_cast<uint8_t>(v);
  }
  if (groups == 0) return true;
  const uint32_t a = kTable[in[0]], b = kTable[in[1]];
  if (((a | b) & 0xc0)) return false;
  if (in[2] == '=') {  // one byte
    if (in[3] != '=' || (b & 0x0f)) return false;
    out[0] = static_cast<uint8_t>((a << 2) | (b >> 4));
    return true;
  }
  const uint32_t c = kTable[in[2]];
  if (c & 0xc0) return false;
  if (in[3] == '=') {  // two bytes
    if (c & 0x03) return false;
    const uint32_t v = (a << 18) | (b << 12) | (c << 6);
    out[0] = static_cast<uint8_t>(v >> 16);
    out[1] = static_cast<uint8_t>(v >> 8);
    return true;
  }
  const uint32_t d = kTable[in[3]];
  if (d & 0xc0) return false;
  const uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
  out[0] = static_cast<uint8_t>(v >> 16);
  out[1] = static_cast<uint8_t>(v >> 8);
  out[2] = static_cast<uint8_t>(v);
  return true;
}

}  // namespace

std::string Base64Encode(absl::string_view data) { return absl::Base64Escape(data); }

bool Base64Decode(absl::string_view text, std::string* out) {
  const size_t size = Base64DecodedSize(text);
  if (size == std::string::npos) return false;
  out->resize(size + 3);  // the last group writes up to three bytes
  if (!DecodeInto(text, reinterpret_cast<uint8_t*>(out->data()))) return false;
  out->resize(size);
  return true;
}

bool Base64DecodeTo(absl::string_view text, void* out, size_t size) {
  if (Base64DecodedSize(text) != size) return false;
  return DecodeInto(text, static_cast<uint8_t*>(out));
}

}  // namespace paraat
