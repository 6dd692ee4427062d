#include "tests/support/pg.hpp"

#include <cstdlib>
#include <random>
#include <stdexcept>

#include "store/migrate.hpp"

namespace smsgw::testing {

std::string test_database::server_dsn() {
  const char* dsn = std::getenv("TEST_PG_DSN");
  if (dsn == nullptr) {
    throw std::runtime_error("TEST_PG_DSN is not set: run the suite with `./dev test`");
  }
  return dsn;
}

test_database::test_database(bool migrate) {
  std::random_device rd;
  name_ = "smsgw_test_" + std::to_string(rd()) + std::to_string(rd() % 1000);
  pqxx::connection admin(server_dsn());
  pqxx::nontransaction(admin).exec0("CREATE DATABASE " + name_);
  dsn_ = server_dsn() + " dbname=" + name_;
  if (migrate) {
    pqxx::connection c(dsn_);
    store::migrate(c);
  }
}

test_database::~test_database() {
  try {
    pqxx::connection admin(server_dsn());
    pqxx::nontransaction(admin).exec0("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {  // NOLINT(bugprone-empty-catch): the throwaway server goes away anyway
  }
}

std::string test_database::scalar(const std::string& sql) const {
  pqxx::connection c(dsn_);
  pqxx::nontransaction t(c);
  const auto r = t.exec(sql);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].c_str();
}

}  // namespace smsgw::testing
