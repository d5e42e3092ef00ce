// Running a check's tool (restic, borg, pgbackrest, pg_restore; bconsole, barman, rclone,
// mariabackup): argv only, the check's deadline and cancellation, tool output forwarded as
// progress notes, secrets passed through the environment and redacted from everything the result
// carries.
//
// A kind that runs a tool describes the tool's own wording once (ToolWording) and runs its steps
// through a ToolSession, which takes this agent's turn on a shared repository and turns each
// step's ending into the result, the same way for every kind:
//
//   ToolSession tool(ctx, r, ToolWording{ContainsAny({"already locked"}), ContainsAny({"does not match"}),
//                                        [](const std::string& out) { return ResticFailure(out); }});
//   if (!tool.TakeTurn("restic:" + repository)) return;         // error: waited until cancelled
//   tool.SetEnvironment(env, secrets);
//   if (!tool.Version({"restic", "version"})) return;          // detail tool_version
//   auto listed = tool.Read({"restic", "snapshots", "--json"}, "restic snapshots");
//   if (!listed) return;                                       // error: "<what> failed: <why>"
//   ...
//   if (!tool.Verify({"restic", "check"}, "restic check", repository, summary)) return;
//   // passed: integrity and coverage are the kind's to set
//
// Restore drills (restore_test and its recipes) judge their steps as a test instead: RunDrillStep.
// Not thread-safe: a session belongs to one run of one check.
#ifndef PARAAT_AGENT_CHECKS_SUPPORT_TOOL_H_
#define PARAAT_AGENT_CHECKS_SUPPORT_TOOL_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/check.h"
#include "agent/checks/support/resource_lock.h"
#include "common/process.h"

namespace paraat {

// One run of a tool: ToolRun({"restic", "snapshots"}, env, secrets), or with every field.
struct ToolRun {
  ToolRun() = default;
  ToolRun(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
          std::vector<std::string> secrets = {}, std::string cwd = "", bool forward_progress = true,
          std::string stdin_data = "")
      : argv(std::move(argv)),
        env(std::move(env)),
        secrets(std::move(secrets)),
        cwd(std::move(cwd)),
        forward_progress(forward_progress),
        stdin_data(std::move(stdin_data)) {}

  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::vector<std::string> secrets;  // redacted from output
  std::string cwd;
  bool forward_progress = true;  // stderr lines become progress notes
  std::string stdin_data;        // written to the tool's standard input (bconsole's commands)
};

// NOT_FOUND (with "is it installed?") when the program does not exist; otherwise the result,
// with out/err already redacted.
[[nodiscard]] absl::StatusOr<ProcessResult> RunTool(const CheckContext& ctx, const ToolRun& run);

// A short, redacted description of why a tool failed: the last meaningful line of stderr
// (or stdout), e.g. "Fatal: wrong password or no key found".
std::string ToolError(const ProcessResult& r);

// The last lines of a tool's combined output, bounded, for the result's output tail.
std::string OutputTail(const ProcessResult& r, size_t max_lines = 20, size_t max_bytes = 4096);

// A tool's own words for what its output (stdout and stderr together) means. Each is optional.
struct ToolWording {
  // Another process holds the lock the tool needs: a running backup, not damage.
  std::function<bool(const std::string& output)> locked;
  // The tool read the data back and found it damaged.
  std::function<bool(const std::string& output)> damaged;
  // A failure the kind can say in plain words ("wrong password or no key found for the
  // repository"), or "" when it cannot. An explained failure is never taken for damage.
  std::function<std::string(const std::string& output)> explain;
};

// A wording that is any of these phrases: ToolWording{ContainsAny({"LockTimeout", ...}), ...}.
std::function<bool(const std::string& output)> ContainsAny(std::vector<std::string> phrases);

// One run of a check that uses a tool: the environment and secrets its steps share, this agent's
// turn on a shared resource, and the result each step's ending writes.
class ToolSession {
 public:
  ToolSession(const CheckContext& ctx, paraat::v1::Result* r, ToolWording wording = {});
  ToolSession(const ToolSession&) = delete;
  ToolSession& operator=(const ToolSession&) = delete;

  // Waits until no other check of this agent uses `resource` (e.g. "restic:/srv/restic") and
  // holds it until the session ends. False when the check was cancelled first: the result is an
  // error.
  bool TakeTurn(const std::string& resource);
  void SetEnvironment(std::map<std::string, std::string> env, std::vector<std::string> secrets);

  // Runs one step. Nullopt when the program cannot be started (the result then says so);
  // otherwise the process's ending, whatever it was. `progress`: its stderr lines are progress;
  // `stdin_data` goes to its standard input (a console's commands).
  std::optional<ProcessResult> Run(const std::vector<std::string>& argv, bool progress = false,
                                   const std::string& stdin_data = "");
  // Runs the tool's version command and keeps its first line as the detail "tool_version".
  bool Version(const std::vector<std::string>& argv);
  // A step that reads what the repository holds (snapshots, archives, stanza info): its result
  // when it succeeded; otherwise nullopt, with the output tail kept and an error result:
  // "<what>: the repository is locked by another process (a running backup?)" or
  // "<what> failed: <explanation, or the tool's last line>". A step that runs out of the check's
  // time says "<what> timed out after ...", with the explanation when there is one.
  std::optional<ProcessResult> Read(const std::vector<std::string>& argv, const std::string& what,
                                    const std::string& stdin_data = "");
  // An integrity step that reads the data back (restic check, borg check, pgbackrest verify):
  // true when the tool succeeded. Its output tail is kept either way; otherwise the result says
  // why: "<what> timed out after ..." or "<what> cancelled" (error); the repository locked by a
  // running backup (a warning: `summary` and that the check was skipped); damage found ("<what>
  // found errors in <where>: ...", failed, integrity corrupt); any other failure (error,
  // "<what> failed: ..."). `out`, when given, receives the process result.
  bool Verify(const std::vector<std::string>& argv, const std::string& what, const std::string& where,
              const std::string& summary, ProcessResult* out = nullptr);

 private:
  std::string Explain(const std::string& output) const;

  const CheckContext& ctx_;
  paraat::v1::Result* r_;
  const ToolWording wording_;
  ToolRun base_;
  std::optional<ResourceGuard> turn_;
};

// Whether a failed restore drill step means the drill failed or could not run.
enum class DrillStep {
  kTest,   // restoring, validating: a failure fails the restore test
  kSetup,  // preparing or inspecting (creating a scratch database, listing snapshots): a
           // failure is an error, the test could not run
};

// Runs one step of a restore drill, appends it (command line and output tail, redacted) to
// `log`, and judges it as part of a test: false, with the result filled in, when it did not
// succeed. Not finishing within the check's timeout fails the test ("<what> did not finish
// within the timeout (2h)"); an interrupted step (the agent stopping) and a program that cannot
// start are errors; a non-zero exit fails the test, or is an error for a setup step.
// `out`, when given, receives the process result.
bool RunDrillStep(const CheckContext& ctx, const ToolRun& run, const std::string& what, DrillStep step,
                  paraat::v1::Result* r, std::string* log, ProcessResult* out = nullptr);

// A throw-away server a restore drill starts on its restored copy (postgres, mariadbd) to
// validate it: run in the foreground as the agent's child, in its own process group, on a thread
// of its own, and ended (SIGTERM, SIGKILL after 5 s) by Stop(), by the check's deadline or by the
// agent stopping — never left behind as a daemon.
//
//   DrillServer server(ctx, ToolRun({"/usr/sbin/mariadbd", ...}));
//   if (!server.WaitReady([&] { return Ping(); }, "the throw-away mariadbd", r, &log)) return false;
//   ... validation query ...
//   server.Stop(&log);
//
// Not thread-safe: one drill drives it.
class DrillServer {
 public:
  DrillServer(const CheckContext& ctx, ToolRun run);
  ~DrillServer();  // Stop()
  DrillServer(const DrillServer&) = delete;
  DrillServer& operator=(const DrillServer&) = delete;

  // Calls `ready` (a client's ping) every 100 ms until it returns true (its command line then
  // goes to `log`, its output when it stops). False, with the result
  // filled in, when the server ended first ("<what> did not start (exit code 1): <its last
  // line>", the restore test failed), could not be started (error), or the check's time ran out
  // (failed, "<what> was not ready within the timeout").
  bool WaitReady(const std::function<bool()>& ready, const std::string& what, paraat::v1::Result* r, std::string* log);
  // Ends the server and waits for it; its output tail goes to `log` (when given).
  void Stop(std::string* log = nullptr);

 private:
  bool Ended();

  const CheckContext& ctx_;
  const ToolRun run_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool ended_ = false;                    // guarded by mu_
  absl::StatusOr<ProcessResult> result_;  // guarded by mu_, set once ended_
  std::thread thread_;
  bool started_ = false;  // was ready
  bool logged_ = false;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_SUPPORT_TOOL_H_
