// The web console (issue 18): pages for continuity managers and auditors, served by the
// collector's HTTP server on `metrics_listen` beside /metrics.
//
//   /               Overview: incidents with their clock, every plan worst first, counts per
//                   state, tests due in 30 days
//   /plans/ID       Plan: objectives, tests, controls, readiness over 90 days, RPO and restore
//                   charts (each with a table), sources with their history, exercises
//   /plans/ID/exercise   the admin's form to record an exercise (GET shows, POST records)
//   /plans/ID/review     the admin's form to record a plan review
//   /plans/ID/incident   the admin's forms to open and close an incident and record NIS2 reports
//   /evidence       Evidence: filtered, keyset-paginated records; downloads (CSV, JSON, OSCAL,
//                   HTML report) from the same export code as paraatctl; the chain's verification
//   /evidence/export     a download
//   /agents         Fleet
//   /login, /logout a session from a bearer token (auth.tokens)
//   /static/...     the style sheet (embedded) and the organisation's theme (web.theme)
//
// Who may do what: viewer reads Overview, Plan and Fleet; auditor also Evidence and downloads;
// admin also the forms. The caller's role is the highest of its session's (signed in with a
// token), an `Authorization: Bearer` header's, its client certificate's (HTTPS with a client
// CA) and the anonymous role (ConsoleOptions::anonymous). Forms carry a CSRF token: the
// session's, or for callers without one a cookie's ("double submit"); a POST without the right
// one is refused with 403. Every page is sent with a strict Content-Security-Policy (no
// scripts at all, styles only from /static/), and works without JavaScript.
//
// Language: ?lang=nl|en (remembered in a cookie), else Accept-Language, else the configured
// default; dates in the configured time zone with ISO 8601 on hover.
//
// Thread-safety: handlers run on the HTTP server's connection threads concurrently; everything
// they share is immutable or locked (SessionStore, LoginThrottle).
#ifndef PARAAT_COLLECTOR_SERVING_CONSOLE_CONSOLE_H_
#define PARAAT_COLLECTOR_SERVING_CONSOLE_CONSOLE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "collector/evaluation/evaluation_loop.h"
#include "collector/evaluation/state.h"
#include "collector/ingest/agent_registry.h"
#include "collector/serving/auth.h"
#include "collector/serving/console/session.h"
#include "collector/serving/console/view.h"
#include "collector/serving/continuity_recorder.h"
#include "collector/serving/evidence_export.h"
#include "collector/serving/exercise_recorder.h"
#include "collector/serving/http_server.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "common/i18n.h"
#include "paraat/v1/query.pb.h"

namespace paraat {

struct ConsoleOptions {
  QueryRole anonymous = QueryRole::kNone;  // the role of callers without credentials
  bool tokens = false;                     // auth.tokens are configured: offer the sign-in form
  std::string theme_css;                   // web.theme's contents; empty: none
  absl::TimeZone zone;                     // web.time_zone (default Europe/Amsterdam)
  Lang default_lang = Lang::kNl;           // web.language
  absl::Duration session_ttl = absl::Hours(8);
  // metrics_auth: with a user, every page first needs HTTP basic authentication (as before).
  std::string basic_user, basic_password;
};

struct ConsoleDeps {
  const EvaluationLoop* loop = nullptr;
  const EvidenceState* state = nullptr;
  Store* store = nullptr;
  const AgentRegistry* agents = nullptr;
  const Authorizer* authorizer = nullptr;  // null: no tokens or certificates grant anything
  ExerciseRecorder* exercises = nullptr;
  ContinuityRecorder* continuity = nullptr;  // reviews and incidents (the query API's own)
  const EvidenceExport* exporter = nullptr;
  // The chain monitor's latest verification, when it has one.
  std::function<std::optional<paraat::v1::ChainVerification>()> chain;
  const Clock* clock = nullptr;
};

namespace console {

// One request's caller: who, in which language, and the cookies the response must set.
struct Caller {
  QueryRole role = QueryRole::kNone;
  bool signed_in = false;  // has a session
  std::string session_id;
  std::string csrf;  // what this caller's forms carry
  std::vector<std::string> set_cookies;
  Localizer loc{Lang::kEn};
};

}  // namespace console

class WebConsole {
 public:
  WebConsole(ConsoleDeps deps, ConsoleOptions options);
  // Registers the console's paths on `server` (before it starts). Outlives the server's use.
  void Register(HttpServer* server);

  // For the page handlers (console/*.cc).
  const ConsoleDeps& deps() const { return deps_; }
  const ConsoleOptions& options() const { return options_; }

 private:
  using PageFn = std::function<HttpResponse(const HttpRequest&, console::Caller&)>;
  // Wraps a page: basic authentication, the caller, the role it needs, CSRF on POST, headers.
  HttpServer::Handler Guard(QueryRole need, PageFn page);
  console::Caller Identify(const HttpRequest& req);

  HttpResponse Overview(const HttpRequest& req, console::Caller& c);
  HttpResponse PlanPage(const HttpRequest& req, console::Caller& c);
  HttpResponse Agents(const HttpRequest& req, console::Caller& c);
  HttpResponse Evidence(const HttpRequest& req, console::Caller& c);
  HttpResponse EvidenceDownload(const HttpRequest& req, console::Caller& c);
  HttpResponse ExerciseForm(const HttpRequest& req, console::Caller& c, const std::string& plan_id);
  HttpResponse ReviewForm(const HttpRequest& req, console::Caller& c, const std::string& plan_id);
  HttpResponse IncidentForm(const HttpRequest& req, console::Caller& c, const std::string& plan_id);
  HttpResponse Login(const HttpRequest& req, console::Caller& c);
  HttpResponse Logout(const HttpRequest& req, console::Caller& c);

  ConsoleDeps deps_;
  ConsoleOptions options_;
  SessionStore sessions_;
  LoginThrottle throttle_;
};

namespace console {

// Renders page template `name` inside the layout: title, navigation (`nav` the current item:
// "overview", "evidence", "agents"), language switch, the caller's role and sign-out form.
HttpResponse Page(const HttpRequest& req, const Caller& c, const WebConsole& console, const std::string& name,
                  const std::string& title, const std::string& nav, Data data);
// An error page with `status` and `message`.
HttpResponse ErrorPage(const HttpRequest& req, const Caller& c, const WebConsole& console, int status,
                       const std::string& message);
// 303 See Other to `location`.
HttpResponse Redirect(const std::string& location);
// The label of a plan state ("Ready", "Gereed") and its stable word ("ready").
std::string StateLabel(const Localizer& loc, paraat::v1::PlanState state);
// A role's label in the caller's language.
std::string RoleLabel(const Localizer& loc, QueryRole role);
// A date or date and time a person typed into a form ("2026-03-14", "2026-03-14T09:30") in the
// reader's time zone. nullopt for an empty field, and also when it does not parse: then *bad.
std::optional<absl::Time> ParseFormTime(const std::string& text, const Localizer& loc, bool* bad);
// A plan's incident clock in the reader's language (console/incident_clock.cc), for the
// overview and the plan page: {significant, open, summary, clock, elapsed, rto, rto_passed,
// mtpd, mtpd_passed, deadlines[], next, next_overdue}. Empty data without an incident.
Data IncidentClockData(const Localizer& loc, const paraat::v1::PlanStatus& s, absl::Time now);

}  // namespace console
}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_CONSOLE_CONSOLE_H_
