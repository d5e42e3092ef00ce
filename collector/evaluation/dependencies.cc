#include "collector/evaluation/dependencies.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/units.h"

namespace paraat {

using paraat::v1::PLAN_STATE_AT_RISK;
using paraat::v1::PLAN_STATE_NOT_READY;
using paraat::v1::PLAN_STATE_UNKNOWN;

namespace {

std::string Where(const Plan& p) { return absl::StrCat(p.file, ":", p.depends_on_line ? p.depends_on_line : 1); }
// A measured recovery time ("0s" rather than "0ms" for a plan with nothing to recover).
DetailArg Secs(const char* name, double s) {
  return s == 0 ? DetailArg::Text(name, "0s") : DetailArg::Duration(name, absl::Seconds(s));
}

// Depth-first over the dependency graph; reports each cycle once, from the plan (in id order)
// where it was first entered.
class CycleFinder {
 public:
  explicit CycleFinder(const std::map<std::string, const Plan*>& by_id) : by_id_(by_id) {}

  void Visit(const Plan& p, std::vector<std::string>* problems) {
    mark_[p.id] = 1;
    path_.push_back(p.id);
    for (const std::string& d : p.depends_on) {
      auto it = by_id_.find(d);
      if (it == by_id_.end()) continue;  // reported as unknown
      const int m = mark_[d];
      if (m == 1) {
        auto from = std::find(path_.begin(), path_.end(), d);
        std::vector<std::string> cycle(from, path_.end());
        cycle.push_back(d);
        const Plan& start = *by_id_.at(cycle.front());
        problems->push_back(absl::StrCat(Where(start), ": depends_on: cycle ", absl::StrJoin(cycle, " -> ")));
      } else if (m == 0) {
        Visit(*it->second, problems);
      }
    }
    path_.pop_back();
    mark_[p.id] = 2;
  }
  bool Visited(const std::string& id) { return mark_[id] != 0; }

 private:
  const std::map<std::string, const Plan*>& by_id_;
  std::map<std::string, int> mark_;  // 0 new, 1 on the path, 2 done
  std::vector<std::string> path_;
};

}  // namespace

absl::Status CheckDependencies(const std::vector<Plan>& plans) {
  std::map<std::string, const Plan*> by_id;
  for (const Plan& p : plans) by_id.emplace(p.id, &p);
  std::vector<std::string> problems;
  for (const Plan& p : plans) {
    for (const std::string& d : p.depends_on) {
      if (!by_id.count(d)) {
        problems.push_back(
            absl::StrCat(Where(p), ": depends_on: \"", d, "\" is not a plan (no plan file has id: ", d, ")"));
      }
    }
  }
  CycleFinder finder(by_id);
  for (const auto& [id, p] : by_id) {
    if (!finder.Visited(id)) finder.Visit(*p, &problems);
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
}

std::vector<Detail> BiaInconsistencies(const Plan& plan, const Plan& dep) {
  std::vector<Detail> out;
  if (dep.rto > plan.rto) {
    out.push_back(Detail{"reason.bia_inconsistent.detail.rto",
                         {DetailArg::Text("dep", dep.id), DetailArg::Duration("dep_rto", dep.rto),
                          DetailArg::Duration("rto", plan.rto)}});
  }
  if (dep.mtpd && plan.mtpd && *dep.mtpd > *plan.mtpd) {
    out.push_back(Detail{"reason.bia_inconsistent.detail.mtpd",
                         {DetailArg::Text("dep", dep.id), DetailArg::Duration("dep_mtpd", *dep.mtpd),
                          DetailArg::Duration("mtpd", *plan.mtpd)}});
  }
  return out;
}

std::vector<std::string> BiaWarnings(const std::vector<Plan>& plans) {
  std::map<std::string, const Plan*> by_id;
  for (const Plan& p : plans) by_id.emplace(p.id, &p);
  std::vector<std::string> out;
  for (const Plan& p : plans) {
    for (const std::string& d : p.depends_on) {
      auto it = by_id.find(d);
      if (it == by_id.end()) continue;
      for (const Detail& d : BiaInconsistencies(p, *it->second)) {
        out.push_back(absl::StrCat(Where(p), ": depends_on: BIA inconsistency: ", MachineText(d)));
      }
    }
  }
  return out;
}

namespace {

// Member indices, every plan after all it depends on (edges closing a cycle are ignored).
std::vector<size_t> Topological(const std::vector<ChainMember>& members, const std::map<std::string, size_t>& index) {
  std::vector<int> mark(members.size(), 0);
  std::vector<size_t> order;
  std::function<void(size_t)> visit = [&](size_t i) {
    mark[i] = 1;
    for (const std::string& d : members[i].plan->depends_on) {
      auto it = index.find(d);
      if (it != index.end() && mark[it->second] == 0) visit(it->second);
    }
    mark[i] = 2;
    order.push_back(i);
  };
  for (size_t i = 0; i < members.size(); ++i) {
    if (mark[i] == 0) visit(i);
  }
  return order;
}

class ChainEvaluator {
 public:
  ChainEvaluator(const std::vector<ChainMember>& members, const std::map<std::string, size_t>& index, double margin)
      : members_(members), index_(index), margin_(margin) {}

  void Apply(size_t i) {
    const Plan& p = *members_[i].plan;
    Evaluation& e = *members_[i].evaluation;
    const int own_severity = StateSeverity(e.state);
    e.cause_chain = {p.id};
    std::vector<const ChainMember*> deps;
    for (const std::string& d : p.depends_on) {
      auto it = index_.find(d);
      if (it != index_.end() && it->second != i) deps.push_back(&members_[it->second]);
    }
    const ChainMember* cause = nullptr;
    for (const ChainMember* d : deps) {
      const Evaluation& de = *d->evaluation;
      e.wave = std::max(e.wave, de.wave + 1);
      for (Detail& detail : BiaInconsistencies(p, *d->plan)) {
        e.AddReason("bia_inconsistent", PLAN_STATE_AT_RISK, "", std::move(detail));
      }
      if (de.state == PLAN_STATE_NOT_READY || de.state == PLAN_STATE_UNKNOWN) {
        const bool not_ready = de.state == PLAN_STATE_NOT_READY;
        std::vector<std::string> chain = {p.id};
        chain.insert(chain.end(), de.cause_chain.begin(), de.cause_chain.end());
        const Evaluation& root = *members_[index_.at(de.cause_chain.back())].evaluation;
        const char* code = not_ready ? "dependency_not_ready" : "dependency_unknown";
        // A settled state that is not ready has its reason (Evaluation::Settle).
        e.AddReason(code, de.state, "",
                    Detail{absl::StrCat("reason.", code, ".detail"),
                           {DetailArg::Text("dep", d->plan->id), DetailArg::Text("chain", absl::StrJoin(chain, " -> ")),
                            DetailArg::Text("root", chain.back()),
                            root.reasons.empty() ? DetailArg::Text("why", "?")
                                                 : DetailArg::Nested("why", root.reasons[0].detail)}});
        if (cause == nullptr || StateSeverity(de.state) > StateSeverity(cause->evaluation->state)) cause = d;
      }
    }
    if (cause != nullptr && StateSeverity(cause->evaluation->state) > own_severity) {
      e.cause_chain.insert(e.cause_chain.end(), cause->evaluation->cause_chain.begin(),
                           cause->evaluation->cause_chain.end());
    }
    RecoveryTime(p, e, deps);
    e.Settle();
  }

 private:
  void RecoveryTime(const Plan& p, Evaluation& e, const std::vector<const ChainMember*>& deps) {
    bool measured = true;
    double longest = 0, longest_bound = 0;
    const ChainMember* critical = nullptr;
    std::vector<std::string> unevidenced;
    for (const ChainMember* d : deps) {
      const Evaluation& de = *d->evaluation;
      if (!de.effective_recovery_seconds) measured = false;
      if (de.effective_recovery_seconds) longest = std::max(longest, *de.effective_recovery_seconds);
      if (critical == nullptr || de.effective_recovery_lower_bound_seconds > longest_bound) {
        longest_bound = de.effective_recovery_lower_bound_seconds;
        critical = d;
      }
      for (const std::string& u : de.unevidenced) {
        if (std::find(unevidenced.begin(), unevidenced.end(), u) == unevidenced.end()) unevidenced.push_back(u);
      }
    }
    if (critical != nullptr) e.critical_path = critical->evaluation->critical_path;
    e.critical_path.push_back(p.id);
    const std::vector<std::string> unevidenced_deps = unevidenced;
    if (!e.own_recovery_seconds) unevidenced.push_back(p.id);
    e.unevidenced = unevidenced;
    const double own = e.own_recovery_seconds.value_or(0);
    e.effective_recovery_lower_bound_seconds = own + longest_bound;
    if (measured && e.own_recovery_seconds) e.effective_recovery_seconds = own + longest;

    const double bound = e.effective_recovery_lower_bound_seconds;
    const Detail along{e.effective_recovery_seconds ? "reason.part.along" : "reason.part.along_at_least",
                       {Secs("d", bound), PathArg(e.critical_path)}};
    const bool own_rule = deps.empty() && e.HasReason("rto_exceeded");  // already said, by the restore test
    if (bound > absl::ToDoubleSeconds(p.rto) && !own_rule) {
      e.AddReason("recovery_chain_exceeds_rto", PLAN_STATE_NOT_READY, "",
                  Detail{"reason.recovery_chain_exceeds_rto.detail",
                         {DetailArg::Nested("along", along), DetailArg::Duration("rto", p.rto)}});
    } else if (e.effective_recovery_seconds && !deps.empty() && bound > absl::ToDoubleSeconds(p.rto) * margin_) {
      e.AddReason("recovery_chain_margin", PLAN_STATE_AT_RISK, "",
                  Detail{"reason.recovery_chain_margin.detail",
                         {DetailArg::Nested("along", along), DetailArg::Share("margin", margin_),
                          DetailArg::Duration("rto", p.rto)}});
    }
    if (p.mtpd && bound > absl::ToDoubleSeconds(*p.mtpd)) {
      e.AddReason("recovery_chain_exceeds_mtpd", PLAN_STATE_NOT_READY, "",
                  Detail{"reason.recovery_chain_exceeds_mtpd.detail",
                         {DetailArg::Nested("along", along), DetailArg::Duration("mtpd", *p.mtpd)}});
    }
    if (!unevidenced_deps.empty()) {
      e.AddReason("recovery_chain_unevidenced", PLAN_STATE_UNKNOWN, "",
                  Detail{"reason.recovery_chain_unevidenced.detail",
                         {DetailArg::Text("plans", absl::StrJoin(unevidenced_deps, ", "))}});
    }
  }

  // "ad 1h -> brp 4h" (measured own times; "?" where there is none).
  DetailArg PathArg(const std::vector<std::string>& path) const {
    std::vector<Detail> parts;
    for (const std::string& id : path) {
      const Evaluation& e = *members_[index_.at(id)].evaluation;
      parts.push_back(Detail{"reason.part.path_step",
                             {DetailArg::Text("plan", id), e.own_recovery_seconds ? Secs("d", *e.own_recovery_seconds)
                                                                                  : DetailArg::Text("d", "?")}});
    }
    return DetailArg::List("path", " -> ", std::move(parts));
  }

  const std::vector<ChainMember>& members_;
  const std::map<std::string, size_t>& index_;
  const double margin_;
};

}  // namespace

void ApplyDependencies(const std::vector<ChainMember>& members, double margin) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < members.size(); ++i) index.emplace(members[i].plan->id, i);
  ChainEvaluator chain(members, index, margin);
  for (size_t i : Topological(members, index)) chain.Apply(i);
}

std::vector<size_t> RecoveryOrder(const std::vector<ChainView>& members, const std::string& plan_id) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < members.size(); ++i) index.emplace(members[i].plan->id, i);
  std::vector<size_t> out;
  if (plan_id.empty()) {
    for (size_t i = 0; i < members.size(); ++i) out.push_back(i);
  } else if (index.count(plan_id)) {
    std::vector<bool> in(members.size(), false);
    std::vector<size_t> pending = {index.at(plan_id)};
    while (!pending.empty()) {
      const size_t i = pending.back();
      pending.pop_back();
      if (in[i]) continue;
      in[i] = true;
      out.push_back(i);
      for (const std::string& d : members[i].plan->depends_on) {
        if (index.count(d)) pending.push_back(index.at(d));
      }
    }
  }
  std::sort(out.begin(), out.end(), [&](size_t a, size_t b) {
    const int wa = members[a].evaluation->wave, wb = members[b].evaluation->wave;
    return wa != wb ? wa < wb : members[a].plan->id < members[b].plan->id;
  });
  return out;
}

std::vector<bool> OnCriticalPath(const std::vector<ChainView>& plans, const std::string& plan_id) {
  std::map<std::string, size_t> index;
  std::vector<bool> depended_on(plans.size(), false), out(plans.size(), false);
  for (size_t i = 0; i < plans.size(); ++i) index.emplace(plans[i].plan->id, i);
  for (const ChainView& v : plans) {
    for (const std::string& d : v.plan->depends_on) {
      if (index.count(d)) depended_on[index.at(d)] = true;
    }
  }
  for (size_t i = 0; i < plans.size(); ++i) {
    const Plan& p = *plans[i].plan;
    const bool top = plan_id.empty() ? !p.depends_on.empty() && !depended_on[i] : p.id == plan_id;
    if (!top) continue;
    for (const std::string& id : plans[i].evaluation->critical_path) {
      if (index.count(id)) out[index.at(id)] = true;
    }
  }
  return out;
}

}  // namespace paraat
