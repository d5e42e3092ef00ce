#include "collector/serving/console/console.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/version.h"

namespace paraat {
namespace console {
namespace {

constexpr char kSessionCookie[] = "paraat_session";
constexpr char kCsrfCookie[] = "paraat_csrf";
constexpr char kLangCookie[] = "paraat_lang";

// No scripts at all; styles and images only from the console itself (SVG charts are inline
// markup, not style attributes); forms post only back here; no framing.
constexpr char kCsp[] =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'";

std::string CookieValue(const std::string& name, const std::string& value, bool secure, bool http_only = true) {
  return absl::StrCat(name, "=", value, "; Path=/; SameSite=Strict", http_only ? "; HttpOnly" : "",
                      secure ? "; Secure" : "");
}

void SecurityHeaders(HttpResponse* r) {
  r->headers["Content-Security-Policy"] = kCsp;
  r->headers["X-Content-Type-Options"] = "nosniff";
  r->headers["X-Frame-Options"] = "DENY";
  r->headers["Referrer-Policy"] = "same-origin";
}

// The current URL with `lang` set: the language switch keeps the page and its filter.
std::string WithLang(const HttpRequest& req, Lang lang) {
  std::map<std::string, std::string> params = req.params;
  params["lang"] = LangCode(lang);
  return absl::StrCat(req.path, "?", QueryString(params));
}

Data NavData(const Localizer& loc, const std::string& current, QueryRole role) {
  List nav;
  auto item = [&](const char* id, const char* href, const char* key) {
    Data d;
    d.set("href", href);
    d.set("label", loc.T(key));
    d.set("current", current == id);
    nav.push_back(d);
  };
  item("overview", "/", "nav.overview");
  if (role >= QueryRole::kAuditor) item("evidence", "/evidence", "nav.evidence");
  item("agents", "/agents", "nav.agents");
  return Data(nav);
}

}  // namespace

std::string StateLabel(const Localizer& loc, paraat::v1::PlanState state) {
  switch (state) {
    case paraat::v1::PLAN_STATE_READY:
      return loc.T("state.ready");
    case paraat::v1::PLAN_STATE_AT_RISK:
      return loc.T("state.at_risk");
    case paraat::v1::PLAN_STATE_UNKNOWN:
      return loc.T("state.unknown");
    case paraat::v1::PLAN_STATE_NOT_READY:
      return loc.T("state.not_ready");
    default:
      return loc.T("state.unspecified");
  }
}

std::string RoleLabel(const Localizer& loc, QueryRole role) {
  return role == QueryRole::kNone ? loc.T("role.none") : loc.T(absl::StrCat("role.", QueryRoleName(role)));
}

std::optional<absl::Time> ParseFormTime(const std::string& text, const Localizer& loc, bool* bad) {
  *bad = false;
  const std::string t(absl::StripAsciiWhitespace(text));
  if (t.empty()) return std::nullopt;
  absl::Time out;
  std::string err;
  if (absl::ParseTime("%Y-%m-%dT%H:%M", t, loc.zone(), &out, &err) ||
      absl::ParseTime("%Y-%m-%d %H:%M", t, loc.zone(), &out, &err) ||
      absl::ParseTime("%Y-%m-%d", t, loc.zone(), &out, &err)) {
    return out;
  }
  *bad = true;
  return std::nullopt;
}

HttpResponse Page(const HttpRequest& req, const Caller& c, const WebConsole& console, const std::string& name,
                  const std::string& title, const std::string& nav, Data data) {
  const Localizer& loc = c.loc;
  data.set("t", Texts(loc.lang()));
  data.set("csrf", c.csrf);
  Data layout;
  layout.set("t", Texts(loc.lang()));
  layout.set("lang", loc.code());
  layout.set("title", title);
  layout.set("theme", !console.options().theme_css.empty());
  layout.set("nav", NavData(loc, nav, c.role));
  List langs;
  for (Lang l : kAllLangs) {
    Data d;
    d.set("href", WithLang(req, l));
    d.set("code", LangCode(l));
    d.set("label", l == Lang::kNl ? "Nederlands" : "English");
    d.set("current", l == loc.lang());
    langs.push_back(d);
  }
  layout.set("langs", langs);
  layout.set("role_label", RoleLabel(loc, c.role));
  layout.set("signed_in", c.signed_in);
  layout.set("csrf", c.csrf);
  layout.set("can_login", !c.signed_in && console.options().tokens && name != "login");
  auto snap = console.deps().loop->snapshot();
  layout.set("footer", loc.F("footer.version", {{"version", PARAAT_VERSION}, {"at", loc.DateTime(snap->at)}}));
  layout.set("body", RenderTemplate(name, data));
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = RenderTemplate("layout", layout);
  r.cookies = c.set_cookies;
  SecurityHeaders(&r);
  return r;
}

HttpResponse ErrorPage(const HttpRequest& req, const Caller& c, const WebConsole& console, int status,
                       const std::string& message) {
  Data d;
  d.set("message", message);
  HttpResponse r = Page(req, c, console, "error", c.loc.T("error.title"), "", std::move(d));
  r.status = status;
  return r;
}

HttpResponse Redirect(const std::string& location) {
  HttpResponse r;
  r.status = 303;
  r.headers["Location"] = location;
  r.body = "see " + location + "\n";
  SecurityHeaders(&r);
  return r;
}

}  // namespace console

using console::Caller;

WebConsole::WebConsole(ConsoleDeps deps, ConsoleOptions options)
    : deps_(std::move(deps)),
      options_(std::move(options)),
      sessions_(deps_.clock, options_.session_ttl),
      throttle_(deps_.clock) {}

Caller WebConsole::Identify(const HttpRequest& req) {
  Caller c;
  c.role = options_.anonymous;
  if (auto s = sessions_.Find(req.Cookie(console::kSessionCookie))) {
    c.role = std::max(c.role, s->role);
    c.signed_in = true;
    c.session_id = s->id;
    c.csrf = s->csrf;
  }
  if (deps_.authorizer != nullptr) {
    absl::string_view auth = req.authorization;
    if (absl::StartsWithIgnoreCase(auth, "bearer ")) {
      c.role = std::max(c.role, deps_.authorizer->RoleOfToken(std::string(absl::StripAsciiWhitespace(auth.substr(7)))));
    }
    if (!req.peer_identities.empty())
      c.role = std::max(c.role, deps_.authorizer->RoleOfIdentities(req.peer_identities));
  }
  if (c.csrf.empty()) {
    c.csrf = req.Cookie(console::kCsrfCookie);
    // A token of the right form only: the cookie is ours or it is replaced.
    if (c.csrf.size() != 64 || c.csrf.find_first_not_of("0123456789abcdef") != std::string::npos) {
      c.csrf = RandomToken();
      c.set_cookies.push_back(console::CookieValue(console::kCsrfCookie, c.csrf, req.tls));
    }
  }
  std::optional<Lang> lang = ParseLang(req.Param("lang"));
  if (lang) {
    c.set_cookies.push_back(console::CookieValue(console::kLangCookie, LangCode(*lang), req.tls));
  } else {
    lang = ParseLang(req.Cookie(console::kLangCookie));
  }
  c.loc = Localizer(lang.value_or(PreferredLang(req.Header("accept-language"), options_.default_lang)), options_.zone);
  return c;
}

HttpServer::Handler WebConsole::Guard(QueryRole need, PageFn page) {
  return [this, need, page = std::move(page)](const HttpRequest& req) -> HttpResponse {
    if (!options_.basic_user.empty() &&
        !(req.user == options_.basic_user && SecretEquals(req.password, options_.basic_password))) {
      HttpResponse r;
      r.status = 401;
      r.body = "authentication required\n";
      r.headers["WWW-Authenticate"] = "Basic realm=\"paraat\", charset=\"UTF-8\"";
      return r;
    }
    Caller c = Identify(req);
    if (req.method == "POST" &&
        (req.body_too_large || req.Form("csrf").empty() || !SecretEquals(req.Form("csrf"), c.csrf))) {
      return console::ErrorPage(req, c, *this, 403, c.loc.T("error.csrf"));
    }
    if (c.role < need) {
      if (c.role == QueryRole::kNone && options_.tokens && req.method != "POST") {
        return console::Redirect("/login?next=" + UrlEncode(req.path));
      }
      return console::ErrorPage(req, c, *this, c.role == QueryRole::kNone ? 401 : 403,
                                c.loc.F("error.forbidden", {{"role", console::RoleLabel(c.loc, c.role)},
                                                            {"needed", console::RoleLabel(c.loc, need)}}));
    }
    return page(req, c);
  };
}

void WebConsole::Register(HttpServer* server) {
  using std::placeholders::_1;
  using std::placeholders::_2;
  server->Handle("/", Guard(QueryRole::kViewer, std::bind(&WebConsole::Overview, this, _1, _2)));
  server->HandlePrefix(
      "/plans/",
      Guard(QueryRole::kViewer,
            [this](const HttpRequest& req, Caller& c) {
              absl::string_view rest = req.path;
              absl::ConsumePrefix(&rest, "/plans/");
              // The forms that record evidence: admins only, as in paraatctl.
              using Form = HttpResponse (WebConsole::*)(const HttpRequest&, Caller&, const std::string&);
              for (const auto& [suffix, form] : {std::pair<const char*, Form>{"/exercise", &WebConsole::ExerciseForm},
                                                 {"/review", &WebConsole::ReviewForm},
                                                 {"/incident", &WebConsole::IncidentForm}}) {
                if (!absl::ConsumeSuffix(&rest, suffix)) continue;
                if (c.role < QueryRole::kAdmin) {
                  return console::ErrorPage(
                      req, c, *this, 403,
                      c.loc.F("error.forbidden", {{"role", console::RoleLabel(c.loc, c.role)},
                                                  {"needed", console::RoleLabel(c.loc, QueryRole::kAdmin)}}));
                }
                return (this->*form)(req, c, std::string(rest));
              }
              if (req.method == "POST") return console::ErrorPage(req, c, *this, 405, c.loc.T("error.not_found"));
              return PlanPage(req, c);
            }),
      HttpMethods::kGetAndPost);
  server->Handle("/agents", Guard(QueryRole::kViewer, std::bind(&WebConsole::Agents, this, _1, _2)));
  server->Handle("/evidence", Guard(QueryRole::kAuditor, std::bind(&WebConsole::Evidence, this, _1, _2)));
  server->Handle("/evidence/export",
                 Guard(QueryRole::kAuditor, std::bind(&WebConsole::EvidenceDownload, this, _1, _2)));
  server->Handle("/login", Guard(QueryRole::kNone, std::bind(&WebConsole::Login, this, _1, _2)),
                 HttpMethods::kGetAndPost);
  server->Handle("/logout", Guard(QueryRole::kNone, std::bind(&WebConsole::Logout, this, _1, _2)),
                 HttpMethods::kGetAndPost);
  server->HandlePrefix("/static/", [this](const HttpRequest& req) {
    HttpResponse r;
    if (req.path == "/static/console.css") {
      r.body = std::string(*console::StaticFile("console.css"));
    } else if (req.path == "/static/theme.css" && !options_.theme_css.empty()) {
      r.body = options_.theme_css;
    } else {
      r.status = 404;
      r.body = "not found\n";
      return r;
    }
    r.content_type = "text/css; charset=utf-8";
    r.headers["Cache-Control"] = "max-age=300";
    r.headers["X-Content-Type-Options"] = "nosniff";
    return r;
  });
}

HttpResponse WebConsole::Login(const HttpRequest& req, Caller& c) {
  console::Data d;
  std::string next = req.method == "POST" ? req.Form("next") : req.Param("next");
  // Only a path on this collector: never a redirect elsewhere.
  if (next.empty() || next[0] != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\'))) next = "/";
  d.set("next", next);
  d.set("needed", req.Param("next").size() > 0);
  bool failed = false;
  if (req.method == "POST") {
    failed = true;
    if (!throttle_.Allowed(req.remote_address)) {
      d.set("error", c.loc.T("login.throttled"));
    } else {
      const QueryRole role =
          deps_.authorizer != nullptr ? deps_.authorizer->RoleOfToken(req.Form("token")) : QueryRole::kNone;
      if (role == QueryRole::kNone) {
        throttle_.Failed(req.remote_address);
        d.set("error", c.loc.T("login.failed"));
      } else {
        failed = false;
        throttle_.Succeeded(req.remote_address);
        if (!c.session_id.empty()) sessions_.Remove(c.session_id);
        Session s = sessions_.Create(role);
        HttpResponse r = console::Redirect(next);
        r.cookies = c.set_cookies;
        r.cookies.push_back(console::CookieValue(console::kSessionCookie, s.id, req.tls));
        return r;
      }
    }
  }
  HttpResponse r = console::Page(req, c, *this, "login", c.loc.T("login.title"), "", std::move(d));
  if (failed) r.status = 401;
  return r;
}

HttpResponse WebConsole::Logout(const HttpRequest& req, Caller& c) {
  if (req.method != "POST") return console::Redirect("/");
  if (!c.session_id.empty()) sessions_.Remove(c.session_id);
  HttpResponse r = console::Redirect("/");
  r.cookies.push_back(absl::StrCat(console::kSessionCookie, "=; Path=/; Max-Age=0; SameSite=Strict; HttpOnly"));
  return r;
}

}  // namespace paraat
