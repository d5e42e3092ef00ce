#!/usr/bin/env python3
"""Writes the Grafana dashboards in dashboards/ (for maintainers; the JSON is committed).

Every panel queries Prometheus through the `datasource` variable: no datasource uid is
hard-coded. tests/integration/dashboards_test.cc runs every query against a real Prometheus.
"""
import json
import os

DS = {"type": "prometheus", "uid": "${datasource}"}
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "dashboards")

STATE_COLORS = [
    {"type": "value", "options": {"ready": {"color": "green", "index": 0, "text": "ready"},
                                  "at_risk": {"color": "yellow", "index": 1, "text": "at risk"},
                                  "unknown": {"color": "gray", "index": 2, "text": "unknown"},
                                  "not_ready": {"color": "red", "index": 3, "text": "not ready"}}}]
SEVERITY_COLORS = [{"type": "value", "options": {
    "0": {"color": "green", "text": "ready"}, "1": {"color": "yellow", "text": "at risk"},
    "2": {"color": "gray", "text": "unknown"}, "3": {"color": "red", "text": "not ready"}}}]

# Worst first: 3 not_ready, 2 unknown, 1 at_risk, 0 ready.
SEVERITY = ('sum by (plan) (paraat_plan_state{state="not_ready"}) * 3 + '
            'sum by (plan) (paraat_plan_state{state="unknown"}) * 2 + '
            'sum by (plan) (paraat_plan_state{state="at_risk"})')


def target(expr, ref, legend=None, instant=False, fmt=None):
    t = {"datasource": DS, "expr": expr, "refId": ref}
    if legend:
        t["legendFormat"] = legend
    if instant:
        t["instant"] = True
        t["range"] = False
    if fmt:
        t["format"] = fmt
    return t


class Board:
    def __init__(self, uid, title, description):
        self.uid, self.title, self.description = uid, title, description
        self.panels, self.y, self.id, self.vars = [], 0, 0, []

    def var(self, name, query, multi=False, include_all=False):
        self.vars.append({"name": name, "type": "query", "datasource": DS, "query": {"query": query, "refId": name},
                          "definition": query, "refresh": 2, "multi": multi, "includeAll": include_all,
                          "sort": 1, "current": {}})

    def add(self, panel, w=24, h=8, x=0, newline=True):
        self.id += 1
        panel.update({"id": self.id, "datasource": DS, "gridPos": {"h": h, "w": w, "x": x, "y": self.y}})
        self.panels.append(panel)
        if newline:
            self.y += h

    def write(self):
        doc = {
            "uid": self.uid, "title": self.title, "description": self.description, "tags": ["paraat"],
            "editable": True, "schemaVersion": 36, "version": 1, "refresh": "1m",
            "time": {"from": "now-7d", "to": "now"}, "timezone": "",
            "templating": {"list": [{"name": "datasource", "label": "Prometheus", "type": "datasource",
                                     "query": "prometheus", "current": {}, "hide": 0}] + self.vars},
            "links": [{"title": "Paraat dashboards", "type": "dashboards", "tags": ["paraat"], "asDropdown": True}],
            "panels": self.panels,
        }
        with open(os.path.join(OUT, self.uid + ".json"), "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")


def stat(title, expr, color, description=""):
    return {"type": "stat", "title": title, "description": description,
            "targets": [target(expr, "A", instant=True)],
            "options": {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "background", "textMode": "value"},
            "fieldConfig": {"defaults": {"color": {"mode": "fixed", "fixedColor": color}, "noValue": "0"}, "overrides": []}}


def timeseries(title, targets, unit="s", description="", thresholds=None):
    fc = {"defaults": {"unit": unit, "custom": {"lineWidth": 2, "fillOpacity": 0}}, "overrides": []}
    if thresholds:
        fc["defaults"]["thresholds"] = thresholds
    return {"type": "timeseries", "title": title, "description": description, "targets": targets,
            "fieldConfig": fc, "options": {"legend": {"displayMode": "table", "placement": "right"},
                                           "tooltip": {"mode": "multi"}}}


def table(title, targets, transformations, overrides, description="", sort=None):
    p = {"type": "table", "title": title, "description": description, "targets": targets,
         "transformations": transformations,
         "fieldConfig": {"defaults": {"custom": {"align": "auto"}}, "overrides": overrides},
         "options": {"showHeader": True}}
    if sort:
        p["options"]["sortBy"] = sort
    return p


def unit_override(name, unit, display=None, extra=None):
    props = [{"id": "unit", "value": unit}]
    if display:
        props.append({"id": "displayName", "value": display})
    props += extra or []
    return {"matcher": {"id": "byName", "options": name}, "properties": props}


def overview():
    b = Board("paraat-overview", "Paraat — continuity overview",
              "Every continuity plan: state, achieved RPO against its target, last restore test against its RTO, "
              "next test due, stale sources. Worst first.")
    for i, (state, color) in enumerate([("not_ready", "red"), ("unknown", "gray"), ("at_risk", "yellow"),
                                        ("ready", "green")]):
        b.add(stat("Plans " + state.replace("_", " "), 'count(paraat_plan_state{state="%s"} == 1) or vector(0)' % state,
                   color), w=6, h=4, x=6 * i, newline=(i == 3))
    b.add(table("Plans, worst first", [
        target(SEVERITY, "A", instant=True, fmt="table"),
        target("paraat_plan_recovery_point_age_seconds", "B", instant=True, fmt="table"),
        target("paraat_plan_rpo_target_seconds", "C", instant=True, fmt="table"),
        target("paraat_plan_restore_test_duration_seconds", "D", instant=True, fmt="table"),
        target("paraat_plan_rto_target_seconds", "E", instant=True, fmt="table"),
        target("min by (plan) (paraat_plan_test_due_timestamp_seconds) * 1000", "F", instant=True, fmt="table"),
        target("paraat_plan_stale_sources", "G", instant=True, fmt="table"),
    ], [
        {"id": "joinByField", "options": {"byField": "plan", "mode": "outer"}},
        {"id": "organize", "options": {
            "excludeByName": {"Time": True, "Time 1": True, "Time 2": True, "Time 3": True, "Time 4": True,
                              "Time 5": True, "Time 6": True, "Time 7": True},
            "renameByName": {"Value #A": "State", "Value #B": "Achieved RPO", "Value #C": "RPO target",
                             "Value #D": "Last restore test", "Value #E": "RTO", "Value #F": "Next test due",
                             "Value #G": "Stale sources"}}},
    ], [
        {"matcher": {"id": "byName", "options": "State"},
         "properties": [{"id": "mappings", "value": SEVERITY_COLORS},
                        {"id": "custom.displayMode", "value": "color-background"}]},
        unit_override("Achieved RPO", "s"), unit_override("RPO target", "s"),
        unit_override("Last restore test", "s"), unit_override("RTO", "s"),
        unit_override("Next test due", "dateTimeFromNow"),
    ], "State: 3 not ready, 2 unknown, 1 at risk, 0 ready.", sort=[{"displayName": "State", "desc": True}]),
        h=10)
    b.add(timeseries("Achieved RPO as a share of the target", [
        target("paraat_plan_recovery_point_age_seconds / on (plan) paraat_plan_rpo_target_seconds", "A", "{{plan}}")],
        unit="percentunit", description="Above 100 % the RPO is breached; above 80 % the plan is at risk.",
        thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "yellow", "value": 0.8},
                                                  {"color": "red", "value": 1}]}), h=9)
    b.add(timeseries("Plans by state", [
        target("count by (state) (paraat_plan_state == 1)", "A", "{{state}}")], unit="short"), h=7)
    b.write()


def plan_detail():
    b = Board("paraat-plan", "Paraat — plan detail",
              "One continuity plan: its states and reasons over time, recovery point age against the RPO, restore "
              "test durations against the RTO, and each source's latest result.")
    b.var("plan", "label_values(paraat_plan_info, plan)")
    b.add({"type": "state-timeline", "title": "State",
           "targets": [target('max by (state) (paraat_plan_state{plan="$plan"} == 1) * 0 + 1', "A", "{{state}}")],
           "fieldConfig": {"defaults": {"mappings": [], "color": {"mode": "fixed", "fixedColor": "blue"}},
                           "overrides": [{"matcher": {"id": "byName", "options": s},
                                          "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": c}}]}
                                         for s, c in [("ready", "green"), ("at_risk", "yellow"), ("unknown", "gray"),
                                                      ("not_ready", "red")]]},
           "options": {"showValue": "never", "mergeValues": True}}, h=5)
    b.add({"type": "state-timeline", "title": "Reasons",
           "description": "The findings behind the state (codes; paraatctl plan show gives the text).",
           "targets": [target('paraat_plan_reasons{plan="$plan"}', "A", "{{code}}")],
           "options": {"showValue": "never", "mergeValues": True}}, h=6)
    b.add(timeseries("Recovery point age against the RPO", [
        target('paraat_plan_recovery_point_age_seconds{plan="$plan"}', "A", "achieved RPO"),
        target('paraat_plan_rpo_target_seconds{plan="$plan"}', "B", "RPO target")]), w=12, h=8, x=0, newline=False)
    b.add(timeseries("Restore tests against the RTO", [
        target('paraat_plan_restore_test_duration_seconds{plan="$plan"}', "A", "last good restore test"),
        target('paraat_plan_rto_target_seconds{plan="$plan"}', "B", "RTO target")]), w=12, h=8, x=12)
    # Foresight (issue 17): the date a growing restore outgrows the RTO, and the findings hidden in
    # evidence that still passes. `or vector(0)`: a plan without them shows "none", not "No data".
    forecast = stat("Restore forecast: RTO breach",
                    'max(paraat_plan_restore_forecast_breach_timestamp_seconds{plan="$plan"}) * 1000 or vector(0)',
                    "yellow", "When the trend of the restore tests (Theil–Sen over the last 12 successful ones) "
                    "crosses the RTO; only while they grow significantly. Within the plan's forecast_horizon the "
                    "plan is at_risk (rto_forecast).")
    forecast["fieldConfig"]["defaults"].update({"unit": "dateTimeAsIso", "noValue": "none", "mappings": [
        {"type": "value", "options": {"0": {"text": "no growth", "color": "green"}}}]})
    b.add(forecast, w=8, h=5, x=0, newline=False)
    b.add(stat("Backup size anomalies",
               'sum(paraat_plan_reasons{plan="$plan",code="backup_size_anomaly"}) or vector(0)', "yellow",
               "Sources whose newest backup is far smaller or larger than their usual ones "
               "(backup_size_anomaly: median and MAD of the earlier backups, by weekday)."), w=8, h=5, x=8,
          newline=False)
    b.add(timeseries("Restore forecast: time left before the RTO breach", [
        target('(paraat_plan_restore_forecast_breach_timestamp_seconds{plan="$plan"} - time()) or vector(0)', "A",
               "time left")], description="0 while the restore tests do not grow."), w=8, h=5, x=16)
    b.add(stat("Backups that look encrypted",
               'sum(paraat_plan_reasons{plan="$plan",code="backup_entropy_anomaly"}) or vector(0)', "red",
               "Sources whose newest backup is near-random where their earlier ones were compressible "
               "(backup_entropy_anomaly: ransomware encrypting the data before it was backed up?)."), w=8, h=6, x=0,
          newline=False)
    copies = {"type": "bargauge", "title": "Copies kept apart (3-2-1-1-0)",
              "description": "Usable copies of the plan's data (fresh, passing recovery point sources), those off-site "
                             "(location label), those the agent found immutable (immutable or append-only attribute, "
                             "read-only mount, borg append_only) and distinct media. Below the plan's copies: "
                             "not_ready (copies_insufficient).",
              "targets": [target('paraat_plan_copies{plan="$plan"}', "A", "{{kind}}", instant=True)],
              "fieldConfig": {"defaults": {"unit": "short", "min": 0, "decimals": 0,
                                           "color": {"mode": "thresholds"},
                                           "thresholds": {"mode": "absolute", "steps": [
                                               {"color": "red", "value": None}, {"color": "green", "value": 1}]}},
                              "overrides": []},
              "options": {"orientation": "horizontal", "displayMode": "basic", "showUnfilled": True}}
    b.add(copies, w=16, h=6, x=8)
    b.add(table("Sources and their latest results", [
        # One row per (role, source): a source may serve several roles.
        target('paraat_plan_source{plan="$plan"} * on (agent, check) group_left (kind) paraat_check_up', "B",
               instant=True, fmt="table"),
        target('paraat_plan_source{plan="$plan"} * on (agent, check) group_left (kind) '
               '(time() - paraat_check_last_run_timestamp_seconds)', "C", instant=True, fmt="table"),
    ], [
        {"id": "merge", "options": {}},
        {"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True, "plan": True},
                                       "renameByName": {"Value #B": "Up", "Value #C": "Last run"}}},
    ], [
        {"matcher": {"id": "byName", "options": "Up"},
         "properties": [{"id": "mappings", "value": [{"type": "value", "options": {
             "1": {"color": "green", "text": "ok"}, "0": {"color": "red", "text": "failed / error"}}}]},
                        {"id": "custom.displayMode", "value": "color-background"}]},
        unit_override("Last run", "s", "Last run (ago)"),
    ]), h=9)
    b.add(table("Tests falling due", [
        target('paraat_plan_test_due_timestamp_seconds{plan="$plan"} * 1000', "A", instant=True, fmt="table")],
        [{"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True, "plan": True},
                                        "renameByName": {"Value": "Due"}}}],
        [unit_override("Due", "dateTimeAsIso")], "0 (1970) means never done."), h=5)
    b.write()


def backups():
    b = Board("paraat-backups", "Paraat — backups and integrity",
              "Backup sources: age of the newest recovery point, integrity findings, bytes read back, restore tests, "
              "off-site copies.")
    b.var("kind", 'label_values(paraat_check_up{kind=~"file_backup|restic|borg|pgbackrest|bacula|barman|rclone|json_http|restore_test"}, '
          'kind)', multi=True, include_all=True)
    b.add(timeseries("Age of the newest recovery point", [
        target('time() - paraat_check_recovery_point_timestamp_seconds{kind=~"$kind"}', "A", "{{agent}}/{{check}}")]),
        h=8)
    b.add(table("Integrity", [
        target('paraat_check_corrupt{kind=~"$kind"}', "A", instant=True, fmt="table"),
        target('paraat_check_verified_bytes{kind=~"$kind"}', "B", instant=True, fmt="table"),
    ], [{"id": "merge", "options": {}},
        {"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True},
                                       "renameByName": {"Value #A": "Corrupt", "Value #B": "Verified last run"}}}],
        [{"matcher": {"id": "byName", "options": "Corrupt"},
          "properties": [{"id": "mappings", "value": [{"type": "value", "options": {
              "1": {"color": "red", "text": "CORRUPT"}, "0": {"color": "green", "text": "intact"}}}]},
                         {"id": "custom.displayMode", "value": "color-background"}]},
         unit_override("Verified last run", "bytes")]), h=8)
    b.add(timeseries("Bytes read back per run", [
        target('paraat_check_verified_bytes{kind=~"$kind"}', "A", "{{agent}}/{{check}}")], unit="bytes"),
        w=12, h=8, x=0, newline=False)
    b.add(timeseries("Restore test durations", [
        target("paraat_check_restore_duration_seconds", "A", "{{agent}}/{{check}}")]), w=12, h=8, x=12)
    b.add(timeseries("Size of the newest backup", [
        target('paraat_check_backup_bytes{kind=~"$kind"}', "A", "{{agent}}/{{check}}")], unit="bytes",
        description="What the backup tool says the backup behind the recovery point holds (Bacula JobBytes, "
                    "Barman's backup size, the files on an rclone remote, a REST API's size). A drop to 0 is a "
                    "backup that succeeded with nothing in it."),
        w=12, h=8, x=0, newline=False)
    b.add(timeseries("Files in the newest backup", [
        target('paraat_check_backup_files{kind=~"$kind"}', "A", "{{agent}}/{{check}}")], unit="short",
        description="Files and directories in the backup behind the recovery point (Bacula JobFiles, the "
                    "files on an rclone remote, a REST API's file count)."),
        w=12, h=8, x=12)
    b.add(timeseries("Content entropy of the newest backup", [
        target('paraat_check_backup_entropy{kind=~"$kind"}', "A", "{{agent}}/{{check}}")], unit="short",
        description="Mean Shannon entropy of 16 sampled blocks, bits per byte: dumps and archives below 7, "
                    "compressed or encrypted data near 8. A compressible source jumping to near 8 is "
                    "backup_entropy_anomaly (ransomware?).",
        thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "yellow", "value": 7.5}]}),
        w=12, h=8, x=0, newline=False)
    b.add(timeseries("Coverage age of rotating verification", [
        target('paraat_check_coverage_age_seconds{kind=~"$kind"}', "A", "{{agent}}/{{check}}")],
        description="How long the oldest byte has gone without being read back intact: file_backup with "
                    "verify_fraction, restic with read_data_subset. Above the check's verify_within the check "
                    "warns."),
        w=12, h=8, x=12)
    b.add(timeseries("Off-site copies: age of the newest object", [
        target('time() - paraat_check_recovery_point_timestamp_seconds{kind="rclone"}', "A", "{{agent}}/{{check}}")],
        description="The newest object on each rclone remote (S3, Azure Blob, SFTP...): how far the off-site copy "
                    "is behind. Its integrity (rclone check against the local set) is in the Integrity table."),
        w=12, h=8, x=0, newline=False)
    b.add(table("Off-site copies", [
        target('paraat_check_up{kind="rclone"}', "A", instant=True, fmt="table"),
        target('paraat_check_backup_bytes{kind="rclone"}', "B", instant=True, fmt="table"),
        target('paraat_check_backup_files{kind="rclone"}', "C", instant=True, fmt="table"),
    ], [{"id": "merge", "options": {}},
        {"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True, "kind": True},
                                       "renameByName": {"Value #A": "In sync", "Value #B": "Size",
                                                        "Value #C": "Files"}}}],
        [{"matcher": {"id": "byName", "options": "In sync"},
          "properties": [{"id": "mappings", "value": [{"type": "value", "options": {
              "1": {"color": "green", "text": "in sync"}, "0": {"color": "red", "text": "differs / missing"}}}]},
                         {"id": "custom.displayMode", "value": "color-background"}]},
         unit_override("Size", "bytes")]), w=12, h=8, x=12)
    b.add(timeseries("Checks failing or unable to run", [
        target('sum by (status) (paraat_check_status{kind=~"$kind", status=~"failed|error"})', "A", "{{status}}")],
        unit="short"), h=6)
    b.write()


def replication():
    b = Board("paraat-replication", "Paraat — replication and failover",
              "Replication lag of standbys and replicas, and the readiness of failover targets.")
    b.add(timeseries("Replication lag", [
        target('paraat_check_replication_lag_seconds', "A", "{{agent}}/{{check}}")]), h=8)
    b.add(table("Failover targets", [
        target('paraat_plan_source{role="failover"} * on (agent, check) group_left (kind) paraat_check_up', "A",
               instant=True, fmt="table"),
    ], [{"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True},
                                       "renameByName": {"Value": "Up"}}}],
        [{"matcher": {"id": "byName", "options": "Up"},
          "properties": [{"id": "mappings", "value": [{"type": "value", "options": {
              "1": {"color": "green", "text": "ready"}, "0": {"color": "red", "text": "DOWN"}}}]},
                         {"id": "custom.displayMode", "value": "color-background"}]}]), h=8)
    b.add(timeseries("Plans' failover readiness", [
        target("paraat_plan_failover_ready", "A", "{{plan}}")], unit="short"), w=12, h=7, x=0, newline=False)
    b.add(timeseries("Free space on restore targets", [
        target('paraat_check_free_bytes', "A", "{{agent}}/{{check}}")], unit="bytes"),
        w=12, h=7, x=12)
    b.add(timeseries("Replicas ready to take over", [
        target('paraat_check_ready{kind=~".+_replication"}', "A", "{{agent}}/{{check}} ({{kind}})")], unit="short",
        description="1: the replica (PostgreSQL, MariaDB, Redis) is linked to its primary and current enough to take "
                    "over; 0: link down, in a full sync, or silent for too long."),
        w=12, h=7, x=0, newline=False)
    b.add(timeseries("Redis replicas: seconds since the primary was last heard", [
        target('paraat_check_replication_lag_seconds{kind="redis_replication"}', "A", "{{agent}}/{{check}}")],
        description="master_last_io_seconds_ago of each Redis replica: an idle primary pings every 10 s, so more "
                    "than 30 s is a primary that is gone or hung."),
        w=12, h=7, x=12)
    b.write()


def fleet():
    b = Board("paraat-fleet", "Paraat — agent fleet and collector health",
              "Agents (last seen, connected, versions, spool), and the collector (ingest, rejections, store "
              "latency, evaluation, evidence chain).")
    b.add(stat("Agents connected", "sum(paraat_agent_connected)", "green"), w=6, h=4, x=0, newline=False)
    b.add(stat("Agents silent > 15 min", "count(time() - paraat_agent_last_seen_timestamp_seconds > 900) or vector(0)",
               "orange"), w=6, h=4, x=6, newline=False)
    b.add(stat("Evidence chain intact", "paraat_evidence_chain_verified", "blue",
               "1 when the collector's last verification found no break"), w=6, h=4, x=12, newline=False)
    b.add(stat("Results stored / s", "sum(rate(paraat_collector_results_received_total[$__rate_interval]))", "purple"),
          w=6, h=4, x=18)
    b.add(table("Agents", [
        target("time() - paraat_agent_last_seen_timestamp_seconds", "A", instant=True, fmt="table"),
        target("paraat_agent_connected", "B", instant=True, fmt="table"),
        target("paraat_agent_info", "C", instant=True, fmt="table"),
        target("paraat_agent_spool_bytes / paraat_agent_spool_max_bytes", "D", instant=True, fmt="table"),
    ], [{"id": "joinByField", "options": {"byField": "agent", "mode": "outer"}},
        {"id": "organize", "options": {"excludeByName": {"Time 1": True, "Time 2": True, "Time 3": True, "Time 4": True,
                                                         "Value #C": True, "__name__": True},
                                       "renameByName": {"Value #A": "Last seen (ago)", "Value #B": "Connected",
                                                        "Value #D": "Spool used"}}}],
        [unit_override("Last seen (ago)", "s"), unit_override("Spool used", "percentunit")]), h=9)
    b.add(timeseries("Ingest", [
        target("sum(rate(paraat_collector_results_received_total[$__rate_interval]))", "A", "stored"),
        target("sum(rate(paraat_collector_results_duplicate_total[$__rate_interval]))", "B", "duplicates (resent)"),
        target("sum by (reason) (rate(paraat_collector_results_rejected_total[$__rate_interval]))", "C",
               "rejected: {{reason}}")], unit="short"), w=12, h=8, x=0, newline=False)
    b.add(timeseries("Latency", [
        target("histogram_quantile(0.99, sum by (le) (rate(paraat_collector_ingest_duration_seconds_bucket"
               "[$__rate_interval])))", "A", "p99 arrival to acknowledgement"),
        target("histogram_quantile(0.99, sum by (le) (rate(paraat_collector_store_commit_duration_seconds_bucket"
               "[$__rate_interval])))", "B", "p99 store commit"),
        target("histogram_quantile(0.99, sum by (le) (rate(paraat_collector_evaluation_duration_seconds_bucket"
               "[$__rate_interval])))", "C", "p99 evaluation of all plans")]), w=12, h=8, x=12)
    b.add(timeseries("Agent spool use", [
        target("paraat_agent_spool_bytes / paraat_agent_spool_max_bytes", "A", "{{agent}}")], unit="percentunit"),
        w=12, h=7, x=0, newline=False)
    b.add(timeseries("Agent versions", [target("count by (version) (paraat_agent_info)", "A", "{{version}}")],
                     unit="short"), w=12, h=7, x=12)
    b.write()


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for f in (overview, plan_detail, backups, replication, fleet):
        f()
    print("wrote", sorted(os.listdir(OUT)))
