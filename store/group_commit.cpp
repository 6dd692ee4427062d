#include "store/group_commit.hpp"

#include <algorithm>
#include <cstddef>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace smsgw::store {

struct group_commit::pending {
  const work* w;
  net::steady_timer* done;
  std::exception_ptr error;
  bool finished = false;

  void finish(std::exception_ptr e) {
    error = std::move(e);
    finished = true;
    done->cancel();
  }
};

group_commit::group_commit(net::any_io_executor ex, db_runner& db, group_commit_options options)
    : executor_(std::move(ex)), db_(db), options_(std::move(options)), slow_check_(executor_) {
  options_.max_batch = std::max<std::size_t>(options_.max_batch, 1);
  options_.max_in_flight = std::max<std::size_t>(options_.max_in_flight, 1);
  // No batch holds more than max_batch: a full one is always worth a transaction of its own.
  options_.min_concurrent_batch =
      std::clamp<std::size_t>(options_.min_concurrent_batch, 1, options_.max_batch);
}

net::awaitable<void> group_commit::run(const work& w) {
  net::steady_timer done(executor_, std::chrono::steady_clock::time_point::max());
  pending p{&w, &done, nullptr};
  queue_.push_back(&p);
  start_batches();
  while (!p.finished) {
    boost::system::error_code ec;
    co_await done.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  if (p.error) std::rethrow_exception(p.error);
}

bool group_commit::running_are_slow() const {
  // Transactions start in order: the last one listed is the newest.
  return !running_since_.empty() &&
         std::chrono::steady_clock::now() >= running_since_.back() + options_.slow_transaction;
}

std::size_t group_commit::useful_slots(std::size_t running) const {
  // The first transaction always starts; each further one needs min_concurrent_batch pieces,
  // unless the ones running are slow.
  const std::size_t free = options_.max_in_flight - running;
  const bool first = running == 0 || running_are_slow();
  const std::size_t wanted =
      std::max<std::size_t>(first ? 1 : 0, queue_.size() / options_.min_concurrent_batch);
  return std::min(free, wanted);
}

void group_commit::start_batches() {
  // A batch takes its pieces when it starts: spawn only as many as the queue fills.
  while (in_flight_ < options_.max_in_flight && !queue_.empty() &&
         starting_ < useful_slots(in_flight_ - starting_)) {
    ++in_flight_;
    ++starting_;
    net::co_spawn(
        executor_, [this]() -> net::awaitable<void> { co_await run_batch(); }, net::detached);
  }
  if (starting_ == 0 && !queue_.empty() && in_flight_ < options_.max_in_flight &&
      !running_since_.empty()) {
    // Held back for a running transaction: look again once it has run slow_transaction.
    slow_check_.expires_at(running_since_.back() + options_.slow_transaction);
    slow_check_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) start_batches();
    });
  }
}

net::awaitable<void> group_commit::run_batch() {
  if (options_.max_wait.count() > 0 && in_flight_ > starting_ &&
      queue_.size() < options_.max_batch) {
    // Another transaction is in flight: what arrives meanwhile may as well join this one
    // (until that transaction ends: then the store is idle, and this one goes).
    net::steady_timer wait(executor_, options_.max_wait);
    waiting_.push_back(&wait);
    boost::system::error_code ec;
    co_await wait.async_wait(net::redirect_error(net::use_awaitable, ec));
    std::erase(waiting_, &wait);
  }
  // Its share of what waits, so that every free transaction slot gets some: a window of
  // MOs that all sat in one batch would apply one after another on one connection.
  const std::size_t running = in_flight_ - starting_;
  const std::size_t slots = std::max<std::size_t>(useful_slots(running), 1);
  const std::size_t share = queue_.empty() ? 0 : (queue_.size() + slots - 1) / slots;
  --starting_;
  const auto since = std::chrono::steady_clock::now();
  running_since_.push_back(since);
  std::vector<pending*> batch;
  while (!queue_.empty() && batch.size() < std::min(share, options_.max_batch)) {
    batch.push_back(queue_.front());
    queue_.pop_front();
  }
  start_batches();  // for what it left
  while (batch.size() > 1) {
    std::size_t at = 0;  // the piece running when it failed; batch.size(): the commit
    std::exception_ptr failed;
    bool in_doubt = false;
    bool broken = false;
    try {
      co_await commit(batch, at);
    } catch (const pqxx::in_doubt_error&) {
      // The commit may have happened: running the pieces again could apply them twice.
      failed = std::current_exception();
      in_doubt = true;
    } catch (const pqxx::broken_connection&) {
      failed = std::current_exception();
      broken = true;
    } catch (...) {
      failed = std::current_exception();
    }
    if (!failed) {
      ++stats_.batches;
      stats_.pieces += batch.size();
      for (auto* p : batch) p->finish(nullptr);
      batch.clear();
    } else if (in_doubt) {
      for (auto* p : batch) p->finish(failed);
      batch.clear();
    } else if (at < batch.size() && !broken) {
      // One bad piece must not fail the rest: it runs alone (what failed may have been the
      // batch's doing, a deadlock), the others, rolled back with it, go again together.
      ++stats_.fallbacks;
      auto* const bad = batch[at];
      batch.erase(batch.begin() + static_cast<std::ptrdiff_t>(at));
      co_await run_alone(*bad);
    } else if (!broken) {
      // The batch's common step (before_commit, or the commit) failed: no piece to blame.
      // Halve it: the second half goes back to the head of the queue, the first half again;
      // a bad piece ends up alone in a few rounds while the good ones still share.
      ++stats_.fallbacks;
      const auto half = static_cast<std::ptrdiff_t>(batch.size() / 2);
      queue_.insert(queue_.begin(), batch.begin() + half, batch.end());
      batch.erase(batch.begin() + half, batch.end());
      start_batches();
    } else {
      // The connection failed: each again, alone.
      ++stats_.fallbacks;
      for (auto* p : batch) co_await run_alone(*p);
      batch.clear();
    }
  }
  if (batch.size() == 1) co_await run_alone(*batch.front());
  running_since_.erase(std::find(running_since_.begin(), running_since_.end(), since));
  --in_flight_;
  for (auto* w : waiting_) w->cancel();
  start_batches();
}

net::awaitable<void> group_commit::commit(const std::vector<pending*>& pieces, std::size_t& at) {
  return db_.run(
      [this, &pieces, &at](pqxx::connection& c) {
        pqxx::work t(c);
        if (options_.on_begin) options_.on_begin(t);
        for (at = 0; at < pieces.size(); ++at) (*pieces[at]->w)(t);
        if (options_.before_commit) options_.before_commit(t);
        t.commit();
      },
      true);
}

net::awaitable<void> group_commit::run_alone(pending& p) {
  std::exception_ptr failed;
  const std::vector<pending*> alone{&p};
  std::size_t at = 0;
  try {
    co_await commit(alone, at);
  } catch (...) {
    failed = std::current_exception();
  }
  p.finish(failed);
}

}  // namespace smsgw::store
