// The web console's templates (mustache, embedded at build time from console/templates/) and the
// data they are filled with. Every value put into a template is text; the template engine
// (kainjow::mustache, `{{x}}`) escapes it for HTML, so a string an agent sent can never become
// markup. The only unescaped slots (`{{{x}}}`) are a page's body inside the layout, itself a
// rendered template, and the report library's SVG charts, which escape their labels.
//
// Thread-safety: the parsed templates are immutable; Render() may be called from any thread.
#ifndef PARAAT_COLLECTOR_SERVING_CONSOLE_VIEW_H_
#define PARAAT_COLLECTOR_SERVING_CONSOLE_VIEW_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/i18n.h"
#include "kainjow/mustache.hpp"

namespace paraat::console {

using Data = kainjow::mustache::data;
using List = kainjow::mustache::list;

// The page template `name` ("overview") filled with `data`; "" and a logged error when the
// template is missing or does not parse (a build with broken templates fails the tests that
// render every page).
std::string RenderTemplate(std::string_view name, const Data& data);
// An embedded static file (console.css), or nullptr.
const std::string_view* StaticFile(std::string_view name);

// The catalogue of `lang` for templates: "nav.overview" is {{t.nav_overview}}.
const Data& Texts(Lang lang);
// {iso, text} for the time partial: the time in the reader's zone, ISO 8601 on hover.
Data TimeData(const Localizer& loc, absl::Time t);
// Sets `key` only when `value` is not empty: {{#key}} sections then show only for text.
inline void SetText(Data* d, const std::string& key, const std::string& value) {
  if (!value.empty()) d->set(key, value);
}
// A list of strings.
Data StringList(const std::vector<std::string>& items);

}  // namespace paraat::console

#endif  // PARAAT_COLLECTOR_SERVING_CONSOLE_VIEW_H_
