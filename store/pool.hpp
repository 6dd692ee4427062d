// A fixed set of PostgreSQL connections, each used by one thread at a time.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include <pqxx/pqxx>

namespace smsgw::store {

/// Connections are opened lazily and replaced when they break: a call that fails with
/// `pqxx::broken_connection` drops its connection, and the next call opens a new one.
class pool {
 public:
  /// `dsn` is a libpq connection string ("" uses the PG* environment variables).
  pool(std::string dsn, std::size_t size);

  /// Runs `f(connection&)` on a free connection, waiting for one if all are busy.
  template <class F>
  auto with(F&& f) -> std::invoke_result_t<F, pqxx::connection&> {
    lease l(*this);
    try {
      return f(l.connection());
    } catch (const pqxx::broken_connection&) {
      l.discard();
      throw;
    } catch (const pqxx::in_doubt_error&) {  // the link died during commit
      l.discard();
      throw;
    }
  }

  [[nodiscard]] std::size_t size() const { return slots_.size(); }
  [[nodiscard]] const std::string& dsn() const { return dsn_; }

 private:
  class lease {
   public:
    explicit lease(pool& p);
    ~lease();
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    pqxx::connection& connection();
    void discard() { discard_ = true; }

   private:
    pool& pool_;
    std::size_t slot_;
    bool discard_ = false;
  };

  std::string dsn_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> slots_;
  std::vector<std::size_t> free_;
};

}  // namespace smsgw::store
