// The deployment files an operator copies: the example organisations, the compose setup and the
// Kubernetes manifest. No container runtime or cluster runs here, so these tests check what can
// be checked without one: every config and plan they carry is accepted by the real binaries, laid
// out the way the container sees it, and the files agree with each other (mount paths, ports,
// service names, plan sources that name checks some agent really runs).
#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"
#include "yaml-cpp/yaml.h"

namespace paraat::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kDeploy = std::string(PARAAT_SOURCE_DIR) + "/deploy";

// "agent/check" for every check the agent configs in `dir` define.
std::set<std::string> DefinedChecks(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename();
    if (!absl::StartsWith(name, "agent")) continue;
    YAML::Node agent = YAML::LoadFile(e.path());
    for (const auto& c : agent["checks"])
      out.insert(agent["agent"]["id"].as<std::string>() + "/" + c["id"].as<std::string>());
  }
  return out;
}

// The examples name files that live on the servers they are written for (TLS files, password
// files, restore scripts under /etc/paraat and /usr/local/sbin). --check-config requires those to
// be there, so here it may refuse an example, but for that reason only: every line of its
// output says a file of that kind does not exist.
bool OnlyFilesOfTheirServersAreMissing(const std::string& output) {
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipWhitespace())) {
    const bool theirs = absl::StrContains(line, ": /etc/paraat/") || absl::StrContains(line, ": /usr/local/sbin/");
    if (!theirs || !absl::EndsWith(line, " does not exist")) return false;
  }
  return true;
}

TEST(Deploy, ExampleOrganisationsAreValidAndCoherent) {
  int organisations = 0;
  for (const auto& org : fs::directory_iterator(kDeploy + "/examples")) {
    if (!org.is_directory()) continue;
    ++organisations;
    const std::string dir = org.path();
    // Written for the organisation's machines: their TLS files and tokens are not on this one.
    RunResult c =
        RunCommand({CollectorBin(), "--config", dir + "/collector.yaml", "--check-config", "--ignore-missing-files"});
    EXPECT_EQ(c.exit_code, 0) << dir << ":\n" << c.output;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!absl::StartsWith(e.path().filename().string(), "agent")) continue;
      RunResult a = RunCommand({AgentBin(), "--config", e.path(), "--check-config"});
      EXPECT_TRUE(a.exit_code == 0 || (a.exit_code == 2 && OnlyFilesOfTheirServersAreMissing(a.output)))
          << e.path() << ":\n"
          << a.output;
    }
    // Every plan source names a check one of the organisation's agents runs: a typo here would
    // leave the plan "unknown" forever.
    const std::set<std::string> checks = DefinedChecks(dir);
    for (const auto& p : fs::directory_iterator(dir + "/plans")) {
      YAML::Node plan = YAML::LoadFile(p.path());
      for (const auto& role : plan["sources"]) {
        for (const auto& src : role.second) {
          EXPECT_TRUE(checks.count(src.as<std::string>()))
              << p.path() << ": " << role.first << ": " << src << " is not a check of any agent in " << dir;
        }
      }
    }
  }
  EXPECT_GE(organisations, 3);
}

// "8080" of "0.0.0.0:8080".
std::string Port(const std::string& address) { return address.substr(address.rfind(':') + 1); }

// The volume source of `service` mounted at `target` (compose's "src:target[:ro]").
std::string ComposeMount(const YAML::Node& compose, const std::string& service, const std::string& target) {
  for (const auto& v : compose["services"][service]["volumes"]) {
    std::vector<std::string> parts = absl::StrSplit(v.as<std::string>(), ':');
    if (parts.size() >= 2 && parts[1] == target) return parts[0];
  }
  return "";
}

TEST(Deploy, ComposeFilesAgree) {
  const std::string compose_dir = kDeploy + "/compose";
  YAML::Node compose = YAML::LoadFile(compose_dir + "/compose.yaml");
  // Every bind-mounted file or directory exists.
  for (const auto& svc : compose["services"]) {
    for (const auto& v : svc.second["volumes"]) {
      const std::string mount = v.as<std::string>();
      const std::string src = mount.substr(0, mount.find(':'));
      if (absl::StartsWith(src, ".")) {
        EXPECT_TRUE(fs::exists(compose_dir + "/" + src)) << svc.first << ": " << src;
      }
    }
  }

  // The collector as its container sees it: config at /etc/paraat, plans mounted beside it.
  TempDir dir;
  const std::string etc = dir / "etc/paraat";
  fs::create_directories(etc);
  fs::copy_file(compose_dir + "/" + ComposeMount(compose, "collector", "/etc/paraat/collector.yaml"),
                etc + "/collector.yaml");
  const std::string plans_src = ComposeMount(compose, "collector", "/etc/paraat/plans");
  ASSERT_FALSE(plans_src.empty()) << "compose mounts no plans at /etc/paraat/plans";
  fs::create_directory_symlink(fs::canonical(compose_dir + "/" + plans_src), etc + "/plans");
  RunResult check = RunCommand({CollectorBin(), "--config", etc + "/collector.yaml", "--check-config"});
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("4 plans in"));
  YAML::Node collector = YAML::LoadFile(etc + "/collector.yaml");
  const std::string metrics_port = Port(collector["metrics_listen"].as<std::string>());

  // Prometheus: valid config and rules as mounted, scraping the collector service's metrics port.
  fs::copy_file(compose_dir + "/" + ComposeMount(compose, "prometheus", "/etc/prometheus/prometheus.yml"),
                dir / "prometheus.yml");
  fs::copy_file(compose_dir + "/" + ComposeMount(compose, "prometheus", "/etc/prometheus/paraat-alerts.yml"),
                dir / "paraat-alerts.yml");
  RunResult promtool = RunCommand({"promtool", "check", "config", dir / "prometheus.yml"});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.output;
  // Every rule in the file, as promtool counts them.
  const std::string rules = ReadFileOrDie(dir / "paraat-alerts.yml");
  int alerts = 0;
  for (size_t at = rules.find("- alert: "); at != std::string::npos; at = rules.find("- alert: ", at + 1)) ++alerts;
  EXPECT_GE(alerts, 15);
  EXPECT_THAT(promtool.output, HasSubstr(absl::StrCat(alerts, " rules found")));
  YAML::Node prom = YAML::LoadFile(dir / "prometheus.yml");
  EXPECT_EQ(prom["scrape_configs"][0]["job_name"].as<std::string>(), "paraat")
      << "the alert rules expect job=\"paraat\"";
  EXPECT_EQ(prom["scrape_configs"][0]["static_configs"][0]["targets"][0].as<std::string>(),
            "collector:" + metrics_port);

  // Grafana: the dashboards are mounted where the provisioning file looks for them.
  YAML::Node provisioning = YAML::LoadFile(kDeploy + "/grafana/provisioning/dashboards/paraat.yaml");
  const std::string dash_path = provisioning["providers"][0]["options"]["path"].as<std::string>();
  EXPECT_EQ(ComposeMount(compose, "grafana", dash_path), "../../dashboards");
  EXPECT_EQ(ComposeMount(compose, "grafana", "/etc/grafana/provisioning"), "../grafana/provisioning");
}

TEST(Deploy, KubernetesConfigMapsHoldAValidCollector) {
  std::vector<YAML::Node> docs = YAML::LoadAllFromFile(kDeploy + "/kubernetes/paraat-collector.yaml");
  std::map<std::string, YAML::Node> by_kind_name;
  for (const auto& d : docs)
    by_kind_name[d["kind"].as<std::string>() + "/" + d["metadata"]["name"].as<std::string>()] = d;
  ASSERT_TRUE(by_kind_name.count("ConfigMap/paraat-collector-config"));
  ASSERT_TRUE(by_kind_name.count("ConfigMap/paraat-plans"));
  ASSERT_TRUE(by_kind_name.count("Deployment/paraat-collector"));
  ASSERT_TRUE(by_kind_name.count("Service/paraat-collector"));

  // A ConfigMap volume as the kubelet lays it out: the files are symlinks into ..data/.
  TempDir dir;
  const std::string etc = dir / "etc/paraat";
  fs::create_directories(etc + "/plans/..2026_11_29_00_00_00.000000001");
  fs::create_directory_symlink("..2026_11_29_00_00_00.000000001", etc + "/plans/..data");
  int plans = 0;
  for (const auto& kv : by_kind_name["ConfigMap/paraat-plans"]["data"]) {
    const std::string name = kv.first.as<std::string>();
    WriteFileOrDie(etc + "/plans/..data/" + name, kv.second.as<std::string>());
    fs::create_symlink("..data/" + name, etc + "/plans/" + name);
    ++plans;
  }
  WriteFileOrDie(etc + "/collector.yaml",
                 by_kind_name["ConfigMap/paraat-collector-config"]["data"]["collector.yaml"].as<std::string>());
  RunResult check = RunCommand({CollectorBin(), "--config", etc + "/collector.yaml", "--check-config"});
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr(absl::StrCat(plans, plans == 1 ? " plan in " : " plans in ")));
  EXPECT_THAT(check.output, HasSubstr("/etc/paraat/plans"));

  // The Deployment mounts the plans where the config looks, and exposes the metrics port the
  // config listens on; one replica, since SQLite has one writer.
  YAML::Node deployment = by_kind_name["Deployment/paraat-collector"];
  EXPECT_EQ(deployment["spec"]["replicas"].as<int>(), 1);
  EXPECT_EQ(deployment["spec"]["strategy"]["type"].as<std::string>(), "Recreate");
  YAML::Node container = deployment["spec"]["template"]["spec"]["containers"][0];
  std::set<std::string> mounts;
  for (const auto& m : container["volumeMounts"]) mounts.insert(m["mountPath"].as<std::string>());
  EXPECT_TRUE(mounts.count("/etc/paraat/plans"));
  EXPECT_TRUE(mounts.count("/etc/paraat/collector.yaml"));
  EXPECT_TRUE(mounts.count("/var/lib/paraat"));
  YAML::Node config = YAML::LoadFile(etc + "/collector.yaml");
  const int metrics_port = std::stoi(Port(config["metrics_listen"].as<std::string>()));
  EXPECT_EQ(container["ports"][0]["containerPort"].as<int>(), metrics_port);
  EXPECT_EQ(by_kind_name["Service/paraat-collector"]["spec"]["ports"][0]["port"].as<int>(), metrics_port);
}

}  // namespace
}  // namespace paraat::testing
