// The ceiling reference for durable ingest (issue 20): how many result-shaped rows SQLite itself
// commits a second on this machine, with nothing of Paraat around it. A fresh database file, the
// collector's pragmas (WAL, synchronous=FULL, a 256 MiB cache), a table shaped like the evidence
// chain's (sequence, time, type, payload, hash), one prepared statement, and a commit every
// --per-transaction rows. fleet_bench.sh runs it beside the ingest benchmark with the number of
// records and the mean payload size that run stored, and gives ingest as a ratio to it.
//
//   sqlite_ceiling --db FILE --rows N [--payload-bytes B] [--per-transaction T]
//
// Prints one line: sqlite_ceiling rows=N payload_bytes=B per_transaction=T seconds=S rows_per_second=R
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace {

constexpr char kUsage[] =
    "usage: sqlite_ceiling --db FILE --rows N [--payload-bytes B] [--per-transaction T]\n"
    "  Inserts N rows of B payload bytes (and a 32-byte hash) into a fresh SQLite file FILE with\n"
    "  the collector's pragmas, committing every T rows, and prints the rows committed a second.\n"
    "  Defaults: B=300, T=10000. FILE must not exist.\n";

struct Options {
  std::string db;
  int64_t rows = 0;
  int64_t payload_bytes = 300;
  int64_t per_transaction = 10000;
};

bool Parse(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    const char* value = argv[++i];
    if (flag == "--db") {
      o->db = value;
    } else if (flag == "--rows") {
      if (!absl::SimpleAtoi(value, &o->rows)) return false;
    } else if (flag == "--payload-bytes") {
      if (!absl::SimpleAtoi(value, &o->payload_bytes)) return false;
    } else if (flag == "--per-transaction") {
      if (!absl::SimpleAtoi(value, &o->per_transaction)) return false;
    } else {
      return false;
    }
  }
  return !o->db.empty() && o->rows > 0 && o->payload_bytes > 0 && o->per_transaction > 0;
}

bool Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) == SQLITE_OK) return true;
  std::fprintf(stderr, "sqlite_ceiling: %s: %s\n", sql, err ? err : sqlite3_errmsg(db));
  sqlite3_free(err);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  Options o;
  if (!Parse(argc, argv, &o)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (access(o.db.c_str(), F_OK) == 0) {
    std::fprintf(stderr, "sqlite_ceiling: %s exists; the ceiling is measured on a fresh file\n", o.db.c_str());
    return 2;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open(o.db.c_str(), &db) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite_ceiling: %s: %s\n", o.db.c_str(), sqlite3_errmsg(db));
    return 1;
  }
  for (const char* sql :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA cache_size=-32768", "PRAGMA foreign_keys=OFF",
        "CREATE TABLE evidence (seq INTEGER PRIMARY KEY, recorded_ns INTEGER NOT NULL, "
        "type INTEGER NOT NULL, payload BLOB NOT NULL, hash BLOB NOT NULL)"}) {
    if (!Exec(db, sql)) return 1;
  }
  // Payloads that do not repeat, so nothing about them is cheaper than a real record's bytes.
  std::mt19937_64 rng(20);
  std::vector<unsigned char> payload(static_cast<size_t>(o.payload_bytes) * 64);
  for (auto& b : payload) b = static_cast<unsigned char>(rng());
  unsigned char hash[32];

  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT INTO evidence VALUES (?, ?, ?, ?, ?)", -1, &insert, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite_ceiling: prepare: %s\n", sqlite3_errmsg(db));
    return 1;
  }
  const absl::Time start = absl::Now();
  for (int64_t seq = 1; seq <= o.rows; ++seq) {
    if ((seq - 1) % o.per_transaction == 0 && !Exec(db, "BEGIN")) return 1;
    for (auto& b : hash) b = static_cast<unsigned char>(rng());
    const size_t at = static_cast<size_t>(seq % 64) * static_cast<size_t>(o.payload_bytes);
    sqlite3_bind_int64(insert, 1, seq);
    sqlite3_bind_int64(insert, 2, absl::ToUnixNanos(absl::Now()));
    sqlite3_bind_int(insert, 3, 1);
    sqlite3_bind_blob(insert, 4, payload.data() + at, static_cast<int>(o.payload_bytes), SQLITE_STATIC);
    sqlite3_bind_blob(insert, 5, hash, sizeof hash, SQLITE_STATIC);
    if (sqlite3_step(insert) != SQLITE_DONE) {
      std::fprintf(stderr, "sqlite_ceiling: insert: %s\n", sqlite3_errmsg(db));
      return 1;
    }
    sqlite3_reset(insert);
    if ((seq % o.per_transaction == 0 || seq == o.rows) && !Exec(db, "COMMIT")) return 1;
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  sqlite3_finalize(insert);
  sqlite3_close(db);
  std::printf("sqlite_ceiling rows=%lld payload_bytes=%lld per_transaction=%lld seconds=%.3f rows_per_second=%.0f\n",
              static_cast<long long>(o.rows), static_cast<long long>(o.payload_bytes),
              static_cast<long long>(o.per_transaction), seconds, static_cast<double>(o.rows) / seconds);
  return 0;
}
