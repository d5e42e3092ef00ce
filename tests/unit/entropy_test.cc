// The encryption (ransomware) indicator end to end on real data: the agent's sampled entropy
// (agent/checks/support/entropy.h) of real tar archives made by the real tar from this machine's
// own files, and of the same archives encrypted by the real openssl, judged by the collector's
// rule (collector/evaluation/entropy_anomaly.h). The false-positive rate on day-to-day changing
// real archives and the share of encrypted archives found are printed and bounded.
#include "agent/checks/support/entropy.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/checks/file_backup.h"
#include "collector/evaluation/entropy_anomaly.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

using testing::RunCommand;
using testing::RunResult;
using testing::TempDir;
using testing::WriteFileOrDie;

TEST(Entropy, KnownAnswers) {
  EXPECT_DOUBLE_EQ(ByteEntropy(""), 0);
  EXPECT_DOUBLE_EQ(ByteEntropy(std::string(4096, 'a')), 0);
  EXPECT_DOUBLE_EQ(ByteEntropy("abababab"), 1);
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_DOUBLE_EQ(ByteEntropy(all), 8);
}

// Regular files under `root`, in a stable order; unreadable ones and links left out.
std::vector<std::string> FilesUnder(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           root, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    if (::access(it->path().c_str(), R_OK) == 0 && it->file_size(ec) > 0) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A night's tar of `root`: a random share of its files (the day's changes) up to `cap` bytes.
bool TarOfTheDay(const std::vector<std::string>& files, uint32_t seed, uint64_t cap, const std::string& out,
                 const std::string& list) {
  std::mt19937 rng(seed);
  std::vector<std::string> shuffled = files;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  std::ofstream names(list, std::ios::trunc);
  uint64_t total = 0;
  for (const std::string& f : shuffled) {
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(f, ec);
    if (ec || total + size > cap) continue;
    names << f << "\n";
    total += size;
  }
  names.close();
  RunResult r = RunCommand({"tar", "-cf", out, "--absolute-names", "--files-from", list}, absl::Seconds(120));
  return r.exit_code == 0;
}

TEST(Entropy, RealArchivesAgainstTheSameArchivesEncrypted) {
  TempDir dir;
  const std::vector<std::string> roots = {"/usr/include",
                                          "/usr/share/doc",
                                          "/usr/lib/python3",
                                          "/usr/share/man",
                                          "/etc",
                                          "/var/lib/dpkg",
                                          "/usr/share/perl",
                                          "/usr/bin",
                                          "/usr/share/zoneinfo",
                                          "/usr/share/locale",
                                          "/usr/lib/x86_64-linux-gnu",
                                          "/usr/share/i18n"};
  constexpr int kDays = 10;
  constexpr uint64_t kCap = 3 << 20;
  int sources = 0, verdicts = 0, false_alarms = 0, compressible = 0, found = 0;
  std::string table;
  for (size_t s = 0; s < roots.size(); ++s) {
    const std::vector<std::string> files = FilesUnder(roots[s]);
    if (files.size() < 20) continue;
    std::deque<BackupSample> history;
    double lo = 8, hi = 0;
    for (int d = 0; d < kDays; ++d) {
      const std::string tar = dir / absl::StrCat("s", s, "-d", d, ".tar");
      ASSERT_TRUE(TarOfTheDay(files, static_cast<uint32_t>(s * 100 + d), kCap, tar, dir / "list")) << roots[s];
      absl::StatusOr<double> bits = SampleEntropy({tar});
      ASSERT_TRUE(bits.ok()) << bits.status();
      lo = std::min(lo, *bits);
      hi = std::max(hi, *bits);
      history.push_back(
          BackupSample{absl::FromUnixSeconds(1'800'000'000) + d * absl::Hours(24), 1, std::nullopt, *bits, 0});
      if (history.size() > 3) {
        ++verdicts;
        if (DetectEntropyAnomaly(history, {})) ++false_alarms;
      }
      if (d < kDays - 1) std::filesystem::remove(tar);
    }
    ++sources;
    // The night's archive encrypted before it was backed up.
    const std::string last = dir / absl::StrCat("s", s, "-d", kDays - 1, ".tar");
    RunResult enc = RunCommand(
        {"openssl", "enc", "-aes-256-ctr", "-pbkdf2", "-pass", "pass:ransom", "-in", last, "-out", last + ".enc"});
    ASSERT_EQ(enc.exit_code, 0) << enc.output;
    absl::StatusOr<double> encrypted = SampleEntropy({last + ".enc"});
    ASSERT_TRUE(encrypted.ok()) << encrypted.status();
    EXPECT_GT(*encrypted, 7.99) << "AES output is near-random";
    history.back().entropy_bits = *encrypted;
    const bool was_compressible = hi <= kCompressibleBits;
    const bool flagged = DetectEntropyAnomaly(history, {}).has_value();
    compressible += was_compressible;
    found += was_compressible && flagged;
    table += absl::StrFormat("  %-28s %.2f..%.2f bits/B, encrypted %.3f: %s\n", roots[s], lo, hi, *encrypted,
                             flagged ? "found" : (was_compressible ? "MISSED" : "not compressible, no verdict"));
    std::filesystem::remove(last);
    std::filesystem::remove(last + ".enc");
  }
  if (sources < 4) GTEST_SKIP() << "fewer than 4 directories of real files on this machine";
  std::cout << "Entropy on real tar archives (" << kDays << " nightly archives of up to 3 MiB a source):\n"
            << table
            << absl::StrFormat(
                   "false alarms: %d of %d verdicts; encrypted archives found: %d of %d compressible sources\n",
                   false_alarms, verdicts, found, compressible);
  EXPECT_EQ(false_alarms, 0) << table;
  EXPECT_GE(compressible, 3) << table;
  EXPECT_EQ(found, compressible) << table;
}

TEST(Entropy, FileBackupReportsTheSampledEntropyUnlessSwitchedOff) {
  TempDir dir;
  std::string text;
  for (int i = 0; text.size() < (1 << 20); ++i)
    absl::StrAppend(&text, "INSERT INTO t VALUES (", i, ", 'row ", i, "');\n");
  WriteFileOrDie(dir / "db.dump", text);
  FileBackupCheck::Options o;
  o.pattern = dir / "*.dump";
  v1::Result r;
  FileBackupCheck(o).Run(CheckContext{}, &r);
  ASSERT_TRUE(r.facts().has_content_entropy_bits()) << r.message();
  EXPECT_LT(r.facts().content_entropy_bits(), 5.0);
  RunResult enc = RunCommand({"openssl", "enc", "-aes-256-ctr", "-pbkdf2", "-pass", "pass:x", "-in", dir / "db.dump",
                              "-out", dir / "db2.dump"});
  ASSERT_EQ(enc.exit_code, 0) << enc.output;
  std::filesystem::remove(dir / "db.dump");
  r.Clear();
  FileBackupCheck(o).Run(CheckContext{}, &r);
  EXPECT_GT(r.facts().content_entropy_bits(), 7.99);
  o.sample_entropy = false;  // a backup encrypted by design
  r.Clear();
  FileBackupCheck(o).Run(CheckContext{}, &r);
  EXPECT_FALSE(r.facts().has_content_entropy_bits());
}

std::deque<BackupSample> History(std::vector<double> bits) {
  std::deque<BackupSample> h;
  for (size_t i = 0; i < bits.size(); ++i) {
    h.push_back(BackupSample{absl::FromUnixSeconds(1'800'000'000) + static_cast<int>(i) * absl::Hours(24), 1,
                             std::nullopt, bits[i], 0});
  }
  return h;
}

TEST(EntropyAnomaly, CompressibleThenRandomIsFoundAndSaysSo) {
  auto a = DetectEntropyAnomaly(History({4.9, 5.1, 5.0, 4.8, 7.998}), {});
  ASSERT_TRUE(a);
  EXPECT_EQ(DescribeEntropyAnomaly(*a),
            "newest backup (2027-01-19T08:00:00Z) looks encrypted: 8.00 bits per byte, where its earlier backups had "
            "4.95 (median of 4); ransomware encrypting the data before it was backed up?");
}

TEST(EntropyAnomaly, NoVerdictWithoutAReason) {
  EXPECT_FALSE(DetectEntropyAnomaly(History({7.99, 7.98, 7.99, 7.99}), {})) << "compressed or encrypted by design";
  EXPECT_FALSE(DetectEntropyAnomaly(History({5.0, 5.1, 7.99}), {})) << "two earlier backups are too few";
  EXPECT_FALSE(DetectEntropyAnomaly(History({6.8, 6.9, 6.7, 7.6}), {})) << "a rise of less than a bit";
  EXPECT_FALSE(DetectEntropyAnomaly(History({5.0, 5.0, 5.0, 7.2}), {})) << "not near-random";
  EntropyAnomalyPolicy off;
  off.enabled = false;
  EXPECT_FALSE(DetectEntropyAnomaly(History({5.0, 5.0, 5.0, 7.99}), off));
  auto h = History({5.0, 5.0, 5.0, 7.99});
  h.back().entropy_bits.reset();
  EXPECT_FALSE(DetectEntropyAnomaly(h, {})) << "a newest backup not sampled";
}

}  // namespace
}  // namespace paraat
