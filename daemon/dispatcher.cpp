#include "daemon/dispatcher.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>

#include "smpp/concat.hpp"
#include "smpp/text.hpp"
#include "logging/component.hpp"

namespace smsgw::daemon {
namespace {

spdlog::logger& log() {
  static const auto logger = logging::component("dispatcher");
  return *logger;
}

net::awaitable<void> sleep(net::steady_timer& t, std::chrono::milliseconds d) {
  t.expires_after(d);
  boost::system::error_code ec;
  co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
}

// TON/NPI for an address as stored: E.164 with `+`, digits (short code), or alphanumeric.
smpp::address to_address(const std::string& a) {
  if (!a.empty() && a.front() == '+') return {1, 1, a.substr(1)};
  const bool digits = std::all_of(a.begin(), a.end(), [](char c) { return c >= '0' && c <= '9'; });
  return digits ? smpp::address{0, 1, a} : smpp::address{5, 0, a};
}

// The submit_sm bodies for a row: one when the text fits a single SMS, else one
// message_payload submit (when the bind prefers it and it fits) or concatenated parts.
std::vector<smpp::sm_body> to_submits(const store::outbox_row& row, bool use_payload,
                                      bool reference_16bit) {
  smpp::sm_body b;
  b.source = to_address(row.source);
  b.destination = to_address(row.destination);
  b.registered_delivery = 1;  // ask for a delivery receipt
  const auto text = smpp::encode_text(row.text);
  b.data_coding = text.data_coding;
  // The reference comes from the row, so a retry that resumes after the parts already
  // accepted (by this daemon or another) uses the same one.
  const auto reference = static_cast<std::uint16_t>(static_cast<std::uint64_t>(row.row_id) &
                                                    (reference_16bit ? 0xFFFFU : 0xFFU));
  const auto parts = smpp::split(text, {reference_16bit, reference});
  if (parts.size() > 1 && use_payload && text.octets.size() <= 1024) {
    b.tlvs.push_back({smpp::tag::message_payload, text.octets});
    return {b};
  }
  std::vector<smpp::sm_body> out;
  for (const auto& p : parts) {
    auto part = b;
    part.short_message = p.short_message;
    if (p.udhi) part.esm_class |= smpp::esm_udhi;
    out.push_back(std::move(part));
  }
  return out;
}

using clock = std::chrono::steady_clock;
using outcome = smpp::submit_result::outcome;

// An SMSC message id as stored: ids are printable ASCII in practice, and one that is not
// must not make the transaction recording it (and every outcome batched with it) fail as
// invalid text. Other bytes become \xNN (receipts will not match such an id).
std::string storable_id(const std::string& id) {
  std::string out;
  for (const char c : id) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x21 && b <= 0x7E && b != '\\') {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", b);
    }
  }
  return out;
}

}  // namespace

dispatcher::dispatcher(net::any_io_executor ex, store::db_runner& db, metrics& m,
                       std::string claimer, store::delivery_policy policy)
    : executor_(std::move(ex)),
      db_(db),
      metrics_(m),
      claimer_(std::move(claimer)),
      policy_(policy),
      wake_(executor_),
      lease_timer_(executor_),
      recorded_(executor_, clock::time_point::max()) {}

void dispatcher::add_session(std::shared_ptr<smpp::session> s) {
  if (s->can_submit()) served_.push_back(s->options().name);
  // The lease outlasts the longest send three times: a send's budget to write its parts,
  // plus the response timeout of the last one.
  const auto longest =
      send_budget + std::chrono::duration_cast<std::chrono::seconds>(s->options().response_timeout);
  lease_ = std::max(lease_, 3 * longest);
  sessions_.push_back(std::move(s));
}

void dispatcher::remove_session(const std::shared_ptr<smpp::session>& s) {
  std::erase(sessions_, s);
  served_.clear();
  for (const auto& left : sessions_) {
    if (left->can_submit()) served_.push_back(left->options().name);
  }
}

void dispatcher::start() {
  net::co_spawn(
      executor_, [self = shared_from_this()] { return self->lease_loop(); }, net::detached);
  net::co_spawn(
      executor_, [self = shared_from_this()] { return self->claim_loop(); }, net::detached);
}

void dispatcher::wake() {
  woken_ = true;
  wake_.cancel();
}

void dispatcher::send_now(std::vector<store::outbox_row> rows) {
  for (auto& row : rows) {
    sending_.insert(row.row_id);
    net::co_spawn(
        executor_,
        [self = shared_from_this(), row = std::move(row)]() mutable {
          return self->send(std::move(row));
        },
        net::detached);
  }
}

std::size_t dispatcher::capacity() const {
  // Enough rows per bind to keep its window full while the next claim and the outcomes are
  // in the store, and no more than it sends in claim_ahead: the rows wait their turn in the
  // session (first come, first served), and a row that waits past its deadline goes back.
  std::size_t total = 0;
  const auto ahead = std::chrono::duration<double>(claim_ahead).count();
  for (const auto& s : sessions_) {
    if (!s->can_submit() || s->state() != smpp::session_state::bound) continue;
    const auto& o = s->options();
    const std::size_t window = std::max<std::uint32_t>(o.window, 1);
    double rate = o.throughput;
    if (rate == 0) {
      const auto it = rates_.find(o.name);
      rate = it == rates_.end() ? 0 : it->second.per_second;
    }
    const auto wanted = static_cast<std::size_t>(rate * ahead);
    total += std::clamp<std::size_t>(wanted, 16 * window, max_claimed_per_bind);
  }
  return total;
}

void dispatcher::count_accepted(const std::string& bind) {
  // Measured over periods of at least a second, each half of the estimate.
  auto& r = rates_[bind];
  const auto now = clock::now();
  if (r.count == 0 && r.since == clock::time_point{}) r.since = now;
  ++r.count;
  const std::chrono::duration<double> elapsed = now - r.since;
  if (elapsed >= std::chrono::seconds(1)) {
    const double measured = static_cast<double>(r.count) / elapsed.count();
    r.per_second = r.per_second == 0 ? measured : (r.per_second + measured) / 2;
    r.count = 0;
    r.since = now;
  }
}

bool dispatcher::room_to_claim() const {
  // Claims in batches: once half the capacity is free, not at every finished row.
  const auto cap = capacity();
  return cap > 0 && sending_.size() <= cap / 2;
}

bool dispatcher::lease_allows(const smpp::session& s) const {
  // The send ends (budget, then one response timeout) with a third of the lease to spare
  // for recording its outcome.
  return clock::now() + send_budget + s.options().response_timeout + lease_ / 3 < lease_until_;
}

std::shared_ptr<smpp::session> dispatcher::session_for(const store::outbox_row& row) const {
  std::shared_ptr<smpp::session> best;
  for (const auto& s : sessions_) {
    if (!s->can_submit() || (row.bind && s->options().name != *row.bind)) continue;
    if (s->state() != smpp::session_state::bound) {
      if (!best) best = s;  // a named bind that is down: wait for it
      continue;
    }
    if (!best || best->state() != smpp::session_state::bound ||
        s->outstanding() < best->outstanding())
      best = s;
  }
  return best;
}

std::string dispatcher::render_gauges() const {
  return fmt::format(
      "# HELP smsgw_outbox_pending Outbox rows queued or being submitted (all daemons).\n"
      "# TYPE smsgw_outbox_pending gauge\nsmsgw_outbox_pending {}\n"
      "# HELP smsgw_outbox_oldest_due_seconds How long the oldest due queued row has waited.\n"
      "# TYPE smsgw_outbox_oldest_due_seconds gauge\nsmsgw_outbox_oldest_due_seconds {}\n"
      "# HELP smsgw_outbox_unserved Queued rows for a bind no running daemon serves.\n"
      "# TYPE smsgw_outbox_unserved gauge\nsmsgw_outbox_unserved {}\n"
      "# HELP smsgw_outbox_in_flight Outbox rows this daemon is submitting.\n"
      "# TYPE smsgw_outbox_in_flight gauge\nsmsgw_outbox_in_flight {}\n",
      pending_.load(), oldest_due_.load(), unserved_.load(), sending_.size());
}

net::awaitable<void> dispatcher::lease_loop() {
  auto self = shared_from_this();
  while (!stopping_) {
    const auto started = clock::now();
    try {
      co_await db_.run([this](pqxx::connection& c) {
        pqxx::work w(c);
        store::renew_lease(w, claimer_, served_, lease_);
        w.commit();
      });
      lease_until_ = started + lease_;
    } catch (const std::exception& e) {
      log().error("lease not renewed claimer={} error=\"{}\"", claimer_, e.what());
    }
    try {
      const std::vector<store::id> sending(sending_.begin(), sending_.end());
      std::int64_t requeued = 0;
      std::vector<store::unsent_row> unsent;
      const auto state =
          co_await db_.run([this, &sending, &requeued, &unsent](pqxx::connection& c) {
            pqxx::work w(c);
            requeued = store::requeue_unsent(w, claimer_, unsent_, sending);
            unsent = store::find_unsent(w, claimer_, sending, unsent_grace);
            auto s = store::outbox_upkeep(w, policy_);
            w.commit();
            return s;
          });
      unsent_ = std::move(unsent);
      if (requeued > 0) log().warn("requeued rows claimed but never sent rows={}", requeued);
      pending_ = state.pending;
      unserved_ = state.unserved;
      oldest_due_ = state.oldest_due_seconds;
      if (state.expired_now > 0) log().warn("expired rows={}", state.expired_now);
      // Rows due that nothing announced: another daemon's retries, a dead daemon's claims,
      // rows written by hand.
      if (state.oldest_due_seconds > 0 || requeued > 0) wake();
    } catch (const std::exception& e) {
      log().error("outbox upkeep failed error=\"{}\"", e.what());
    }
    co_await sleep(lease_timer_, lease_ / 6);
  }
}

net::awaitable<void> dispatcher::claim_loop() {
  auto self = shared_from_this();
  const auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(lease_ / 6);
  while (!stopping_) {
    // Claims as long as rows come back: a full claim means more are due, and the loop is
    // woken as soon as sends finishing free half the capacity; otherwise it sleeps until
    // woken, its next retry is due, or the idle wait ends. Whatever says rows wait while
    // there is no room (a wake-up, a retry due) sets `more_due_`, so finished sends wake it.
    const bool woken = std::exchange(woken_, false);
    if (room_to_claim()) {
      if (next_retry_ <= clock::now()) next_retry_ = clock::time_point::max();
      std::vector<std::string> binds;
      for (const auto& s : sessions_) {
        if (s->can_submit() && s->state() == smpp::session_state::bound)
          binds.push_back(s->options().name);
      }
      try {
        const int limit = static_cast<int>(capacity() - sending_.size());
        const auto started = clock::now();
        int locked = 0;
        auto rows = co_await db_.run([&binds, limit, &locked, this](pqxx::connection& c) {
          pqxx::work w(c);
          auto claimed = store::claim(w, binds, limit, claimer_, lease_, policy_, &locked);
          w.commit();
          return claimed;
        });
        lease_until_ = started + lease_;  // a claim renews the lease
        // Rows it ended (suppressed, expired) count: more may be due behind them.
        more_due_ = locked == limit;
        if (!rows.empty()) log().debug("claimed rows={}", rows.size());
        send_now(std::move(rows));
      } catch (const std::exception& e) {
        more_due_ = false;  // the store is away: its listener's reconnection wakes the loop
        log().error("claim failed error=\"{}\"", e.what());
      }
    } else if (woken || next_retry_ <= clock::now()) {
      more_due_ = true;
    }
    if ((more_due_ && room_to_claim()) || woken_) continue;
    const auto now = clock::now();
    auto wait = idle;
    if (next_retry_ > now) {
      wait =
          std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(next_retry_ - now));
    }
    co_await sleep(wake_, wait);
  }
}

net::awaitable<bool> dispatcher::record(store::id row, const change& c) {
  // What happened on the link is known and must not be lost to a store outage: try again
  // until it is recorded. Giving up would strand the row: this daemon's own lease keeps it
  // `submitting`, and no claim takes a living claimer's rows.
  auto pause = std::chrono::milliseconds(250);
  net::steady_timer t(executor_);
  for (;;) {
    try {
      co_return co_await db_.run([&c](pqxx::connection& conn) {
        pqxx::work w(conn);
        const bool kept = c(w);
        w.commit();
        return kept;
      });
    } catch (const std::exception& e) {
      log().error("outbox update failed outbox_id={} error=\"{}\"", row, e.what());
    }
    if (stopping_) {
      // The row stays claimed; once this daemon's lease runs out it is taken over and sent
      // again (at least once).
      log().error("outbox outcome lost at shutdown outbox_id={}", row);
      co_return true;
    }
    co_await sleep(t, pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(10000));
  }
}

net::awaitable<bool> dispatcher::record_batched(pending_accept& p) {
  auto self = shared_from_this();
  accepted_.push_back(&p);
  if (recorders_ < max_recorders) {
    ++recorders_;
    net::co_spawn(
        executor_, [self] { return self->recorder(); }, net::detached);
  }
  while (!p.done) {
    boost::system::error_code ec;
    co_await recorded_.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  co_return p.kept;
}

net::awaitable<void> dispatcher::recorder() {
  auto self = shared_from_this();
  // While a batch is in the store the next gathers, and up to max_recorders batches are in
  // the store at once (on different connections, their rows disjoint): the batch size
  // follows the load, and the store's commits overlap.
  while (!accepted_.empty()) {
    std::vector<pending_accept*> batch;
    batch.swap(accepted_);
    std::vector<store::accepted_part> parts;
    parts.reserve(batch.size());
    for (const auto* p : batch) parts.push_back(p->part);
    std::vector<bool> kept(batch.size(), true);
    const change all = [&](pqxx::transaction_base& w) {
      kept = store::record_accepted(w, parts, claimer_);
      return true;
    };
    co_await record(parts.front().row, all);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]->kept = kept[i];
      batch[i]->done = true;
    }
    recorded_.cancel();
  }
  --recorders_;
}

net::awaitable<void> dispatcher::send(store::outbox_row row) {
  auto self = shared_from_this();
  struct done_guard {
    dispatcher& d;
    store::id row;
    ~done_guard() {
      d.sending_.erase(d.sending_.find(row));
      if (d.more_due_ && d.room_to_claim()) d.wake_.cancel();  // room for rows that wait
    }
  } guard{*this, row.row_id};

  const auto deadline = clock::now() + send_budget;
  auto s = session_for(row);
  smpp::submit_result r;  // not_sent unless a bound session takes it
  std::string not_sent_why = s ? "no window slot before the deadline" : "no bind up for this row";
  std::vector<std::string> ids;
  int parts = 0;
  bool kept = true;  // false: the claim was lost, another daemon owns the row now
  if (s && s->state() == smpp::session_state::bound && !lease_allows(*s)) {
    not_sent_why = "lease not renewed";
  } else if (s && s->state() == smpp::session_state::bound) {
    std::vector<smpp::sm_body> submits;
    try {
      submits = to_submits(row, s->options().use_message_payload, s->options().concat_16bit);
    } catch (const std::exception& e) {
      // Not representable as submit_sm (an address too long, over 255 parts): never will be.
      r = {outcome::rejected, smpp::status::invalid_dest_address, {}, {}};
      log().error("unsendable outbox_id={} error=\"{}\"", row.row_id, e.what());
    }
    parts = static_cast<int>(submits.size());
    // A text split otherwise on an earlier try: its last part is sent again.
    int next = std::min(row.parts_accepted, std::max(parts - 1, 0));
    while (kept && next < parts) {
      r = co_await s->submit(submits[static_cast<std::size_t>(next)], deadline);
      if (r.what != outcome::accepted) break;
      count_accepted(s->options().name);
      ids.push_back(r.message_id);
      ++next;
      // Each part at once (with the parts of other rows accepted meanwhile): a retry
      // resumes after it, and its receipt finds it.
      pending_accept accepted{
          {row.row_id, s->options().name, next, parts, storable_id(r.message_id), row.claimed_at},
          true,
          false};
      kept = co_await record_batched(accepted);
    }
  }
  const auto status = r.status;
  const std::optional<store::claim_ref> mine = store::claim_ref{claimer_, row.claimed_at};
  std::optional<store::retry> again;  // queued again: why, when, and whether it counts
  const char* what = "submitted";
  switch (r.what) {
    case outcome::accepted: metrics_.mt(mt_result::accepted); break;
    case outcome::rejected:
      if (status == smpp::status::throttled || status == smpp::status::message_queue_full) {
        // The SMSC still asks to slow down after the session's pauses: it never took the
        // message, so no attempt is spent.
        what = "throttled";
        again = store::retry{std::chrono::seconds(5), false, status, smpp::status_name(status)};
      } else if (smpp::is_temporary(status)) {
        what = "retry";
        again = store::retry{std::chrono::seconds(std::min(300, 2 << std::min(row.attempts, 7))),
                             true, status, smpp::status_name(status)};
      } else {
        metrics_.mt(mt_result::failed);
        what = "failed";
        const change failed = [&](pqxx::transaction_base& w) {
          return store::mark_failed(w, row.row_id, status, smpp::status_name(status), mine);
        };
        kept = co_await record(row.row_id, failed);
      }
      break;
    case outcome::not_sent:
      what = "not_sent";
      if (stopping_) not_sent_why = "daemon stopping";
      again = store::retry{std::chrono::seconds(5), false, std::nullopt, not_sent_why};
      break;
    case outcome::unanswered:
      // It may have reached the SMSC: sending it again may deliver it twice (at most the
      // window's worth per dropped link), which the metric counts.
      metrics_.mt(mt_result::unanswered);
      what = "unanswered";
      again = store::retry{
          std::chrono::seconds(5), true, std::nullopt,
          fmt::format("no response to part {} of {} from the SMSC", ids.size() + 1, parts)};
      break;
    case outcome::in_doubt: {
      metrics_.mt(mt_result::in_doubt);
      what = "in_doubt";
      const std::string why =
          fmt::format("response to part {} of {} unreadable: {}", ids.size() + 1, parts, r.reason);
      const change doubt = [&](pqxx::transaction_base& w) {
        return store::mark_in_doubt(w, row.row_id, why, mine);
      };
      kept = co_await record(row.row_id, doubt);
      break;
    }
  }
  if (again) {
    std::optional<std::string> now;
    const change queue_again = [&](pqxx::transaction_base& w) {
      now = store::mark_retry(w, row.row_id, *again, policy_, mine);
      return now.has_value();
    };
    kept = co_await record(row.row_id, queue_again);
    if (now == "queued") {
      // Claim it again when it is due (sooner than the idle wait, typically).
      const auto due = clock::now() + again->delay + std::chrono::milliseconds(100);
      if (due < next_retry_) {
        next_retry_ = due;
        wake_.cancel();  // the claim loop recomputes its sleep
      }
    }
    if (now == "expired") what = "expired";
    metrics_.mt(now == "expired" ? mt_result::expired : mt_result::retried);
  }
  if (!kept) log().warn("claim lost, outcome not recorded outbox_id={}", row.row_id);
  log().info("mt outbox_id={} bind={} to={} parts={}/{} result={} status={} smsc_id={}", row.row_id,
             s ? smpp::label(s->options()) : "-", row.destination,
             row.parts_accepted + static_cast<int>(ids.size()), parts, what,
             smpp::status_name(status), fmt::join(ids, ","));
}

net::awaitable<void> dispatcher::stop(std::chrono::milliseconds drain) {
  auto self = shared_from_this();
  stopping_ = true;
  wake_.cancel();
  lease_timer_.cancel();
  const auto until = std::chrono::steady_clock::now() + drain;
  net::steady_timer poll(executor_);
  while (!sending_.empty() && std::chrono::steady_clock::now() < until) {
    co_await sleep(poll, std::chrono::milliseconds(10));
  }
}

}  // namespace smsgw::daemon
