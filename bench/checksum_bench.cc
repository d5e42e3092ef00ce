// Checksum verification throughput against OpenSSL's own tool, side by side in one run.
//
//   checksum_bench [--size 1GiB] [--rounds 7] [--agent PATH]
//
// 1. Single file: `paraat-agent run-check` verifying a file against its sha256 sidecar, and
//    `openssl dgst -sha256` on the same file, alternating, the file in the page cache for both
//    (so both measure SHA-256 and reading, not the disk). Target: ratio >= 0.95.
// 2. Across files: two files verified by one run-check (verify: all, parallel: 2) against
//    `openssl dgst -sha256` on both files in one process (sequential), to show all cores used.
// Prints medians (seconds, GB/s) and the ratio; every round's numbers go to stderr.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_util.h"
#include "common/cli.h"
#include "common/sha256.h"
#include "common/units.h"

namespace {

void MakeFile(const std::string& path, uint64_t size, std::string* hex) {
  std::ofstream out(path, std::ios::binary);
  std::mt19937_64 rng(size);
  std::vector<uint64_t> block(1 << 17);
  paraat::Sha256 sha;
  for (uint64_t done = 0; done < size;) {
    for (auto& w : block) w = rng();
    size_t n = static_cast<size_t>(std::min<uint64_t>(size - done, block.size() * 8));
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    sha.Update(block.data(), n);
    done += n;
  }
  *hex = paraat::ToHex(sha.Finish());
}

// Reads files once, untimed, so every timed command starts with them in the page cache
// (paraat-agent drops the pages it read afterwards, to spare the server's cache).
void Warm(const std::vector<std::string>& files) {
  std::vector<char> buf(1 << 20);
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string size_arg = "1GiB", rounds_arg = "7", agent = PARAAT_AGENT_BIN;
  paraat::ArgParser args;
  args.Option("size", &size_arg);
  args.Option("rounds", &rounds_arg);
  args.Option("agent", &agent);
  if (!args.Parse(argc, argv).ok()) {
    std::cerr << "usage: checksum_bench [--size 1GiB] [--rounds 7] [--agent PATH]\n";
    return 2;
  }
  const uint64_t size = *paraat::ParseSize(size_arg);
  const int rounds = std::stoi(rounds_arg);
  const std::string dir = std::filesystem::temp_directory_path() / ("paraat-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir + "/one");
  std::filesystem::create_directories(dir + "/two");
  std::string hex;
  MakeFile(dir + "/one/a.bin", size, &hex);
  std::ofstream(dir + "/one/a.bin.sha256") << hex << "  a.bin\n";
  std::string hex_b, hex_c;
  MakeFile(dir + "/two/b.bin", size / 2, &hex_b);
  MakeFile(dir + "/two/c.bin", size / 2, &hex_c);
  std::ofstream(dir + "/two/b.bin.sha256") << hex_b << "  b.bin\n";
  std::ofstream(dir + "/two/c.bin.sha256") << hex_c << "  c.bin\n";
  std::ofstream(dir + "/agent.yaml")
      << "agent: {id: bench}\ncollector: {address: 127.0.0.1:1}\nspool: {dir: spool}\n"
         "checks:\n"
         "  - {id: one, kind: file_backup, interval: 1h, path: one/*.bin, checksum: sidecar}\n"
         "  - {id: two, kind: file_backup, interval: 1h, path: two/*.bin, checksum: sidecar,\n"
         "     verify: all, parallel: 2}\n";
  const std::vector<std::string> one = {dir + "/one/a.bin"}, two = {dir + "/two/b.bin", dir + "/two/c.bin"};

  std::vector<double> ossl1, para1, ossl2, para2;
  std::string out;
  for (int i = 0; i < rounds; ++i) {
    Warm(one);
    double o = paraat::bench::TimeCommand({"openssl", "dgst", "-sha256", dir + "/one/a.bin"});
    Warm(one);
    double p = paraat::bench::TimeCommand({agent, "--config", dir + "/agent.yaml", "run-check", "one"}, &out);
    if (p < 0 || out.find("sha256 verified") == std::string::npos) {
      std::cerr << "paraat-agent run-check failed:\n" << out;
      return 1;
    }
    Warm(two);
    double o2 = paraat::bench::TimeCommand({"openssl", "dgst", "-sha256", dir + "/two/b.bin", dir + "/two/c.bin"});
    Warm(two);
    double p2 = paraat::bench::TimeCommand({agent, "--config", dir + "/agent.yaml", "run-check", "two"}, &out);
    if (p2 < 0 || out.find("100% of") == std::string::npos) {
      std::cerr << "paraat-agent run-check (two files) failed:\n" << out;
      return 1;
    }
    ossl1.push_back(o);
    para1.push_back(p);
    ossl2.push_back(o2);
    para2.push_back(p2);
    std::fprintf(stderr, "round %d: one file openssl %.3fs paraat %.3fs; two files openssl %.3fs paraat %.3fs\n", i + 1,
                 o, p, o2, p2);
  }
  std::filesystem::remove_all(dir);
  const double gb = static_cast<double>(size) / 1e9;
  const double mo = paraat::bench::Median(ossl1), mp = paraat::bench::Median(para1);
  const double mo2 = paraat::bench::Median(ossl2), mp2 = paraat::bench::Median(para2);
  std::printf("checksum verification, %s file(s), %d rounds, medians (page cache warm)\n", size_arg.c_str(), rounds);
  std::printf("%-44s %10s %10s\n", "", "seconds", "GB/s");
  std::printf("%-44s %10.3f %10.2f\n", "openssl dgst -sha256, one file", mo, gb / mo);
  std::printf("%-44s %10.3f %10.2f\n", "paraat-agent run-check (sidecar), one file", mp, gb / mp);
  std::printf("%-44s %10.3f %10.2f\n", "openssl dgst -sha256, two files", mo2, gb / mo2);
  std::printf("%-44s %10.3f %10.2f\n", "paraat-agent run-check (parallel: 2), two", mp2, gb / mp2);
  std::printf("single_file_ratio=%.3f two_file_ratio=%.3f (paraat speed / openssl speed; target single >= 0.95)\n",
              mo / mp, mo2 / mp2);
  return 0;
}
