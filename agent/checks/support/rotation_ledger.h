// What a rotating verification has read back, run by run. Each run reads a share of the data (a
// restic data subset, some files of a large backup set); the ledger remembers, for each item,
// the run that last read it and whether it was intact. When every item is read within `window`
// runs (a share f per run: window = ceil(1/f)), coverage is the share of the data, by weight,
// read back intact within the last `window` runs, and an item last read damaged stays damaged
// until it is read back intact.
//
// It lives in the check's state (check_state.h) as JSON:
//   {"run": 12, "<items>": {"<key>": {"run": 11, "ok": true, ...facts}}, ...}
// beside whatever the kind keeps there itself (a cursor, the next subset), through state().
// Not thread-safe: one run of one check uses it.
#ifndef PARAAT_AGENT_CHECKS_SUPPORT_ROTATION_LEDGER_H_
#define PARAAT_AGENT_CHECKS_SUPPORT_ROTATION_LEDGER_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "paraat/v1/result.pb.h"

namespace paraat {

class RotationLedger {
 public:
  // The runs in which a share `fraction` (0, 1] of the data each reads everything once.
  static int64_t WindowFor(double fraction);

  // `state` as saved (anything but an object starts afresh); `items` names the map of items in
  // it; `window` is at least 1.
  RotationLedger(nlohmann::json state, std::string items, int64_t window);

  // Starts a run: what is recorded from now on belongs to it. Returns its number.
  int64_t StartRun();
  int64_t run() const { return run_; }
  int64_t window() const { return window_; }

  // `key` was read back in this run, intact or not; `facts` (an object) are kept with it, e.g.
  // the size and modification time it had.
  void Record(const std::string& key, bool intact, nlohmann::json facts = nlohmann::json::object());
  // What was last recorded for `key`, or nullptr.
  const nlohmann::json* Find(const std::string& key) const;
  // Read back intact within the last `window` runs.
  bool IntactWithinWindow(const std::string& key) const;
  // Last read back damaged.
  bool LastReadDamaged(const std::string& key) const;
  // When `key` was last read back intact, if its last read was intact and dated (facts "at",
  // Unix seconds, as Record was given them).
  std::optional<absl::Time> ReadIntactAt(const std::string& key) const;

  struct Item {
    std::string key;
    double weight = 1;    // bytes, or 1 for equal shares
    bool current = true;  // false: what was read back is no longer what is there
  };
  // The share of the items' weight read back intact within the window (1 when they weigh
  // nothing); items that are not current count as not read.
  double Coverage(const std::vector<Item>& items) const;
  // Forgets every item not in `keys` (files that left the set).
  void Retain(const std::set<std::string>& keys);

  // The whole state, to keep the kind's own fields and to save.
  nlohmann::json& state() { return state_; }
  const nlohmann::json& state() const { return state_; }

 private:
  nlohmann::json state_;
  const std::string items_;
  const int64_t window_;
  int64_t run_;
};

// What `verify_within` says of a rotation (coverage age): "" when `within` is zero or the rotation
// keeps to it; else why not, to append to the result's message: the rotation needs `runs` runs of
// `interval` to read every byte, longer than `within` ("the rotation reads every byte in 10 runs
// of 7d (70d), longer than verify_within 30d"), or the oldest byte has gone `age` unread ("the
// oldest byte has not been read back for 40d, longer than verify_within 30d").
std::string CoverageAgeProblem(absl::Duration age, int64_t runs, absl::Duration interval, absl::Duration within);

// Applies `verify_within` to a rotation's result `r`: when `within` is set, the values
// verify_within and coverage_reach (interval * runs, seconds; the collector's
// coverage_age_exceeded reason reads them beside coverage_age) and, when CoverageAgeProblem finds
// one, a warning that appends it to the message.
void ApplyVerifyWithin(absl::Duration age, int64_t runs, absl::Duration interval, absl::Duration within,
                       paraat::v1::Result* r);

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_SUPPORT_ROTATION_LEDGER_H_
