// A fixed set of PostgreSQL connections, each used by one thread at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <pqxx/pqxx>

namespace smsgw::store {

/// `dsn` with libpq's `connect_timeout` set to `timeout` (whole seconds, at least 1), unless
/// it already sets one; for a `key=value` string and for a `postgresql://` URI alike.
std::string with_connect_timeout(const std::string& dsn, std::chrono::seconds timeout);

/// Connections are opened lazily (or all at once, open_all) and replaced when they break: a
/// call that fails with `pqxx::broken_connection` drops its connection, and the next call
/// opens a new one.
class pool {
 public:
  /// Run on each connection once it opens, before its first job (and by open_all): a
  /// warm-up, statements prepared and planned before they are needed. Returns whether it
  /// warmed the connection (a hook may not be ready to yet). A failure other than a broken
  /// connection is logged and the connection used all the same.
  using connect_hook = std::function<bool(pqxx::connection&)>;

  /// `dsn` is a libpq connection string ("" uses the PG* environment variables). With a
  /// `job_bound`, a bounded job that runs longer has its connection cut (its socket shut
  /// down): a database that hangs without closing the connection — frozen, or unreachable
  /// behind a dead link — fails the job with `pqxx::broken_connection` within the bound,
  /// where statement_timeout (enforced by the server) could not. The connect hook runs
  /// within the bound of the job that opened the connection.
  pool(std::string dsn, std::size_t size, std::chrono::milliseconds job_bound = {},
       connect_hook on_connect = {});
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// Runs `f(connection&)` on a free connection, waiting for one if all are busy; with
  /// `bounded`, within the pool's job bound.
  template <class F>
  auto with(F&& f, bool bounded = false) -> std::invoke_result_t<F, pqxx::connection&> {
    lease l(*this);
    try {
      const bool opened = l.open();
      auto& c = l.connection();
      const watched w(*this, l, c, bounded);
      if (opened) greet(c);
      return f(c);
    } catch (const pqxx::broken_connection&) {
      l.discard();
      throw;
    } catch (const pqxx::in_doubt_error&) {  // the link died during commit
      l.discard();
      throw;
    }
  }

  /// Opens every connection not open yet and runs the connect hook on each, also on those
  /// already open (each within the job bound): at start, so that no job pays for it later.
  /// Returns how many the hook warmed; throws a broken connection (opening one, or its hook).
  /// It holds every connection until it has all of them: meant for the start, before other
  /// jobs; two at once could each hold some and wait for the rest.
  std::size_t open_all();

  [[nodiscard]] std::size_t size() const { return slots_.size(); }
  [[nodiscard]] const std::string& dsn() const { return dsn_; }
  /// Connections cut so far for outrunning the job bound.
  [[nodiscard]] std::uint64_t cuts() const;

 private:
  class lease {
   public:
    explicit lease(pool& p);
    ~lease();
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    /// Opens this slot's connection if it has none (or a closed one); whether it did.
    bool open();
    pqxx::connection& connection();  ///< once open
    void discard() { discard_ = true; }
    [[nodiscard]] std::size_t slot() const { return slot_; }

   private:
    pool& pool_;
    std::size_t slot_;
    bool discard_ = false;
  };

  // A job in progress on a slot, as the bound's watchdog sees it (only when bounded).
  class watched {
   public:
    watched(pool& p, lease& l, pqxx::connection& c, bool bounded);
    ~watched();  ///< a connection that was cut is discarded, even if its job got through
    watched(const watched&) = delete;
    watched& operator=(const watched&) = delete;

   private:
    pool& pool_;
    lease& lease_;
    bool bounded_;
  };

  struct job {
    bool running = false;
    bool cut = false;
    int socket = -1;
    std::chrono::steady_clock::time_point since;
  };
  void watchdog();
  /// Runs the connect hook on `c`; whether it warmed it.
  bool greet(pqxx::connection& c) const;

  std::string dsn_;
  std::chrono::milliseconds job_bound_;
  connect_hook on_connect_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> slots_;
  std::vector<std::size_t> free_;
  std::vector<job> jobs_;  // by slot
  std::uint64_t cuts_ = 0;
  bool stopping_ = false;
  std::condition_variable stop_;
  std::thread watchdog_;  // only with a job bound
};

}  // namespace smsgw::store
