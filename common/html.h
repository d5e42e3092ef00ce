// Escaping text for HTML and SVG.
#ifndef PARAAT_COMMON_HTML_H_
#define PARAAT_COMMON_HTML_H_

#include <string>

#include "absl/strings/string_view.h"

namespace paraat {

std::string HtmlEscape(absl::string_view text);

}  // namespace paraat

#endif  // PARAAT_COMMON_HTML_H_
