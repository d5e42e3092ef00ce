// mysql_replication (MariaDB client library): a MariaDB or MySQL replica's health from
// SHOW REPLICA STATUS — IO and SQL threads, errors, lag — and, because Seconds_Behind_Master is
// unreliable (0 while the IO thread is stuck, NULL while the SQL thread is stopped), optionally
// a heartbeat table that the primary updates every second.
//
//   - id: mariadb-replica
//     kind: mysql_replication
//     interval: 1m
//     host: 127.0.0.1               # or socket: /run/mysqld/mysqld.sock
//     port: 3306
//     user: paraat
//     password_file: /etc/paraat/mysql.pass
//     heartbeat: {table: paraat.heartbeat, column: ts}   # optional
//
// A heartbeat for the primary (MariaDB's event scheduler):
//   CREATE TABLE paraat.heartbeat (id INT PRIMARY KEY, ts TIMESTAMP(6) NOT NULL);
//   CREATE EVENT paraat.heartbeat ON SCHEDULE EVERY 1 SECOND
//     DO REPLACE INTO paraat.heartbeat VALUES (1, UTC_TIMESTAMP(6));
#ifndef PARAAT_AGENT_CHECKS_MYSQL_REPLICATION_H_
#define PARAAT_AGENT_CHECKS_MYSQL_REPLICATION_H_

#include <memory>
#include <string>

#include "agent/check.h"
#include "agent/registry.h"
#include "agent/secrets.h"

struct st_mysql;  // libmariadb's MYSQL

namespace paraat {

struct MysqlDeleter {
  void operator()(st_mysql* m) const;
};

class MysqlReplicationCheck : public Check {
 public:
  static constexpr char kName[] = "mysql_replication";
  static constexpr char kSummary[] = "MariaDB/MySQL replica threads and lag, optional heartbeat table";
  struct Options {
    std::string host = "127.0.0.1";
    int port = 3306;
    std::string socket;
    std::string user;
    SecretRef password;
    std::string heartbeat_table;  // schema.table
    std::string heartbeat_column = "ts";
    std::string connection_name;  // MariaDB multi-source replication
  };
  explicit MysqlReplicationCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  // Connects within the check's deadline; nullptr (the result an error) when it cannot.
  std::unique_ptr<st_mysql, MysqlDeleter> Connect(const CheckContext& ctx, paraat::v1::Result* r) const;
  // "host:port" or the socket, for messages.
  std::string Where() const;
  // The lag by the heartbeat table; false (the result an error) when it cannot be read.
  bool HeartbeatLag(st_mysql* db, double* lag, std::string* source, paraat::v1::Result* r) const;

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_MYSQL_REPLICATION_H_
