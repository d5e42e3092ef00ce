// Base64 as RFC 4648 §4 defines it (standard alphabet, with padding), decoded strictly: one
// encoding per byte string, so that a verifier and a signer never disagree about what a field
// holds. Thread-safe.
#ifndef PARAAT_COMMON_BASE64_H_
#define PARAAT_COMMON_BASE64_H_

#include <string>

#include "absl/strings/string_view.h"

namespace paraat {

std::string Base64Encode(absl::string_view data);
// False (and *out unspecified) unless `text` is canonical base64: a multiple of four
// characters from the standard alphabet, '=' only as the final padding, unused bits zero.
// No whitespace.
[[nodiscard]] bool Base64Decode(absl::string_view text, std::string* out);
// The number of bytes `text` decodes to if it is valid (std::string::npos when its length is
// not a multiple of four); the characters are not checked.
size_t Base64DecodedSize(absl::string_view text);
// The same into a fixed buffer: false unless `text` decodes to exactly `size` bytes.
[[nodiscard]] bool Base64DecodeTo(absl::string_view text, void* out, size_t size);

}  // namespace paraat

#endif  // PARAAT_COMMON_BASE64_H_
