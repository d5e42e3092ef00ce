// Escaping text for HTML and SVG: & < > " ' become entities, in text and in attribute values
// (quoted either way). Pure; safe from any thread.
#ifndef PARAAT_COMMON_HTML_H_
#define PARAAT_COMMON_HTML_H_

#include <string>

#include "absl/strings/string_view.h"

namespace paraat {

std::string HtmlEscape(absl::string_view text);

}  // namespace paraat

#endif  // PARAAT_COMMON_HTML_H_
