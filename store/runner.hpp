// Runs blocking store work on a small pool of threads, each using one connection at a
// time, and resumes the awaiting coroutine on its own executor: the network thread never
// blocks on PostgreSQL.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "store/pool.hpp"

namespace smsgw::store {

namespace net = boost::asio;

class db_runner {
 public:
  /// `threads` connections to `dsn`, opened on first use (or by open_all), each greeted by
  /// `on_connect`; bounded jobs that outrun `job_bound` have their connection cut (see pool).
  db_runner(std::string dsn, std::size_t threads, std::chrono::milliseconds job_bound = {},
            pool::connect_hook on_connect = {})
      : pool_(std::move(dsn), threads, job_bound, std::move(on_connect)), threads_(threads) {}
  ~db_runner() { threads_.join(); }
  db_runner(const db_runner&) = delete;
  db_runner& operator=(const db_runner&) = delete;

  /// Runs `f(pqxx::connection&)` on a database thread; its result or exception comes back
  /// to the caller. A broken connection is replaced on the next call. A `bounded` job
  /// fails with pqxx::broken_connection once it outruns the job bound.
  template <class F>
  auto run(F f, bool bounded = false)
      -> net::awaitable<std::invoke_result_t<F&, pqxx::connection&>> {
    // Not a coroutine itself: co_spawn moves `f` into the job, and GCC 12 mishandles
    // by-value lambda parameters of coroutines (a bitwise copy, seen under ASan).
    static_assert(std::is_trivially_destructible_v<F>,
                  "capture references, not owning values: GCC 12 may copy this job bitwise "
                  "when it is a temporary inside co_await");
    using result = std::invoke_result_t<F&, pqxx::connection&>;
    return net::co_spawn(
        threads_.get_executor(),
        [this, bounded, f = std::move(f)]() mutable -> net::awaitable<result> {
          co_return pool_.with(f, bounded);
        },
        net::use_awaitable);
  }

  /// Opens every connection not open yet, on a database thread; how many the connect hook
  /// warmed (see pool::open_all: for the start, before other jobs).
  net::awaitable<std::size_t> open_all() {
    return net::co_spawn(
        threads_.get_executor(),
        [this]() -> net::awaitable<std::size_t> { co_return pool_.open_all(); },
        net::use_awaitable);
  }

  /// Completes once a database thread has taken it, after the jobs queued before it: the
  /// threads are moving (the watchdog asks). Needs no connection.
  net::awaitable<void> ping() {
    return net::co_spawn(
        threads_.get_executor(), []() -> net::awaitable<void> { co_return; }, net::use_awaitable);
  }

  /// Waits for every job queued so far (an outbox update must not be dropped at exit).
  void stop() { threads_.join(); }

  /// Connections cut for outrunning the job bound.
  [[nodiscard]] std::uint64_t cuts() const { return pool_.cuts(); }

 private:
  store::pool pool_;
  net::thread_pool threads_;
};

}  // namespace smsgw::store
