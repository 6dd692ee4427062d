// Group commit: store work that arrives together shares one transaction, so a burst of MOs
// pays one BEGIN, one COMMIT and one fsync instead of one each. Each caller still learns
// its own outcome, and only after the commit that holds its effects; a piece of work that
// fails does not fail the others (the batch is rolled back, the piece that threw runs
// alone, the others again together; a batch whose commit, or before_commit step, fails is
// halved until the bad piece is alone; a broken connection runs each alone).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <pqxx/pqxx>

#include "store/runner.hpp"

namespace smsgw::store {

namespace net = boost::asio;

struct group_commit_options {
  std::size_t max_batch = 100;  ///< pieces of work in one transaction, at least 1
  /// How long the first piece of a batch waits for company while another batch is in
  /// flight; 0 starts a batch with whatever is waiting (batches still form under load,
  /// from the work that arrives while a commit is in flight).
  std::chrono::microseconds max_wait{0};
  std::size_t max_in_flight = 2;  ///< transactions at once, at least 1
  /// A transaction beyond the first starts only for at least this many waiting pieces: a
  /// transaction's fixed cost (its statements, its commit) is worth several pieces', so two
  /// small batches side by side cost more than one that holds both (measured in
  /// bench/inbound_bench.sh: a window of 10 MOs went 35% faster in one transaction at a time,
  /// a window of 100 30-50% faster in two). At most max_batch.
  std::size_t min_concurrent_batch = 16;
  /// ... unless every transaction in flight has run this long: one that waits on a lock or
  /// a slow store must not hold back what a free slot could commit meanwhile.
  std::chrono::milliseconds slow_transaction{20};
  /// Run first in every transaction (a batch's, or a piece's alone), if set.
  std::function<void(pqxx::transaction_base&)> on_begin;
  /// Run last in every transaction, before its commit, if set: pieces may leave work there
  /// that is cheaper done once for all of them (the transaction runs on one thread from
  /// on_begin to its commit). When it throws, no piece is to blame: the batch is halved
  /// and each half runs again, until the bad piece is alone.
  std::function<void(pqxx::transaction_base&)> before_commit;
};

class group_commit {
 public:
  /// A piece of work: runs inside a transaction it shares; may run a second time (alone,
  /// in a new transaction) when its batch fails, so it keeps its results by assignment.
  using work = std::function<void(pqxx::transaction_base&)>;

  /// Runs batches on `db`, as bounded jobs (see db_runner::run); completions are delivered
  /// on `ex` (a single-threaded executor).
  group_commit(net::any_io_executor ex, db_runner& db, group_commit_options options);
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  /// Runs `w` in a shared transaction and returns once that transaction committed; throws
  /// what `w` (or its commit) threw when it fails alone. `w` must outlive the awaitable.
  net::awaitable<void> run(const work& w);

  struct counters {
    std::uint64_t batches = 0;    ///< transactions committed with more than one piece
    std::uint64_t pieces = 0;     ///< pieces committed in those
    std::uint64_t fallbacks = 0;  ///< batches rolled back and run again
  };
  [[nodiscard]] const counters& stats() const { return stats_; }

 private:
  struct pending;
  void start_batches();
  /// How many transactions should share what waits, with `running` already running.
  [[nodiscard]] std::size_t useful_slots(std::size_t running) const;
  /// Whether every running transaction has run slow_transaction or longer.
  [[nodiscard]] bool running_are_slow() const;
  net::awaitable<void> run_batch();
  net::awaitable<void> run_alone(pending& p);
  /// One transaction of `pieces`, bounded; `at` says which piece was running when it threw
  /// (pieces.size(): the commit). Both must outlive the awaitable.
  net::awaitable<void> commit(const std::vector<pending*>& pieces, std::size_t& at);

  net::any_io_executor executor_;
  db_runner& db_;
  group_commit_options options_;
  std::deque<pending*> queue_;
  std::size_t in_flight_ = 0;  ///< batches spawned and not yet finished
  std::size_t starting_ = 0;   ///< of those, the ones that have not taken their pieces yet
  std::vector<net::steady_timer*> waiting_;  ///< batches waiting max_wait for company
  std::vector<std::chrono::steady_clock::time_point>
      running_since_;             ///< one per running, in start order
  net::steady_timer slow_check_;  ///< wakes start_batches once the running turn slow
  counters stats_;
};

}  // namespace smsgw::store
