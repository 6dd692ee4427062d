// A fresh PostgreSQL database per test, on the server named by TEST_PG_DSN (which
// `./dev test` starts); migrated, and dropped again at the end of the test.
#pragma once

#include <string>

#include <pqxx/pqxx>

namespace smsgw::testing {

class test_database {
 public:
  /// Creates `smsgw_test_<random>`; throws when TEST_PG_DSN is not set or unreachable.
  /// With `migrate`, the schema is applied before the constructor returns.
  explicit test_database(bool migrate = true);
  ~test_database();
  test_database(const test_database&) = delete;
  test_database& operator=(const test_database&) = delete;

  /// A libpq connection string for this database.
  [[nodiscard]] const std::string& dsn() const { return dsn_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  /// A new connection to this database.
  [[nodiscard]] pqxx::connection connect() const { return pqxx::connection(dsn_); }
  /// Runs one query and returns its single value as text ("" for NULL or no row).
  [[nodiscard]] std::string scalar(const std::string& sql) const;
  /// The server's DSN (the maintenance database).
  static std::string server_dsn();

 private:
  std::string name_;
  std::string dsn_;
};

}  // namespace smsgw::testing
