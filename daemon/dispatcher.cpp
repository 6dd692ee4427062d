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

namespace smsgw::daemon {
namespace {

spdlog::logger& log() {
  static const auto logger = [] {
    auto l = spdlog::default_logger()->clone("dispatcher");
    spdlog::register_logger(l);
    return l;
  }();
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
                                      bool reference_16bit, std::uint16_t reference) {
  smpp::sm_body b;
  b.source = to_address(row.source);
  b.destination = to_address(row.destination);
  b.registered_delivery = 1;  // ask for a delivery receipt
  const auto text = smpp::encode_text(row.text);
  b.data_coding = text.data_coding;
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

// A claim older than this is taken over. Far above the longest a send may take: the
// session bounds its waits (window, bind) by the response timeout, and throttling by its
// retries and maximum pause.
constexpr std::chrono::seconds stale_claim{600};

}  // namespace

dispatcher::dispatcher(net::any_io_executor ex, store::db_runner& db, metrics& m,
                       std::string instance)
    : executor_(std::move(ex)),
      db_(db),
      metrics_(m),
      instance_(std::move(instance)),
      wake_(executor_) {}

void dispatcher::add_session(std::shared_ptr<smpp::session> s) {
  sessions_.push_back(std::move(s));
}

void dispatcher::start(std::chrono::milliseconds poll_interval) {
  net::co_spawn(
      executor_,
      [self = shared_from_this(), poll_interval] { return self->claim_loop(poll_interval); },
      net::detached);
}

void dispatcher::send_now(std::vector<store::outbox_row> rows) {
  for (auto& row : rows) {
    ++in_flight_;
    net::co_spawn(
        executor_,
        [self = shared_from_this(), row = std::move(row)]() mutable {
          return self->send(std::move(row));
        },
        net::detached);
  }
}

std::size_t dispatcher::capacity() const {
  std::size_t total = 0;
  for (const auto& s : sessions_) {
    if (s->can_submit() && s->state() == smpp::session_state::bound) {
      total += std::size_t{2} * s->options().window;
    }
  }
  return total;
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

net::awaitable<void> dispatcher::claim_loop(std::chrono::milliseconds poll_interval) {
  auto self = shared_from_this();
  while (!stopping_) {
    const std::size_t cap = capacity();
    if (cap > in_flight_) {
      std::vector<std::string> binds;
      for (const auto& s : sessions_) {
        if (s->can_submit() && s->state() == smpp::session_state::bound)
          binds.push_back(s->options().name);
      }
      try {
        const int limit = static_cast<int>(cap - in_flight_);
        auto rows = co_await db_.run([&binds, limit, this](pqxx::connection& c) {
          pqxx::work w(c);
          auto claimed = store::claim(w, binds, limit, instance_, stale_claim);
          w.commit();
          return claimed;
        });
        if (!rows.empty()) log().debug("claimed rows={}", rows.size());
        send_now(std::move(rows));
      } catch (const std::exception& e) {
        log().error("claim failed error=\"{}\"", e.what());
      }
    }
    co_await sleep(wake_, poll_interval);
  }
}

net::awaitable<void> dispatcher::send(store::outbox_row row) {
  auto self = shared_from_this();
  struct done_guard {
    std::size_t& n;
    ~done_guard() { --n; }
  } guard{in_flight_};

  auto s = session_for(row);
  smpp::submit_result r;  // not_sent unless a bound session takes it
  std::vector<std::string> ids;
  if (s && s->state() == smpp::session_state::bound) {
    try {
      const auto parts = to_submits(row, s->options().use_message_payload,
                                    s->options().concat_16bit, next_reference_++);
      for (const auto& part : parts) {
        r = co_await s->submit(part);
        if (r.what != smpp::submit_result::outcome::accepted) break;
        ids.push_back(r.message_id);
      }
    } catch (const std::exception& e) {
      // Not representable as submit_sm (an address too long, over 255 parts): never will be.
      r = {smpp::submit_result::outcome::rejected, smpp::status::invalid_dest_address, {}};
      log().error("unsendable outbox_id={} error=\"{}\"", row.row_id, e.what());
    }
  }
  const auto status = r.status;
  std::string what;
  bool kept = true;  // false: our claim went stale and another daemon owns the row now
  try {
    switch (r.what) {
      case smpp::submit_result::outcome::accepted:
        metrics_.mt(mt_result::accepted);
        what = "submitted";
        co_await db_.run([&](pqxx::connection& c) {
          pqxx::work w(c);
          kept = store::mark_submitted(w, row.row_id, s->options().name, ids, instance_);
          w.commit();
        });
        break;
      case smpp::submit_result::outcome::rejected:
        if (smpp::is_temporary(status)) {
          metrics_.mt(mt_result::retried);
          what = "retry";
          // Throttling slows this row down; it does not fail it.
          const auto delay = std::chrono::seconds(std::min(300, 2 << std::min(row.attempts, 7)));
          co_await db_.run([&](pqxx::connection& c) {
            pqxx::work w(c);
            kept = store::mark_retry(w, row.row_id, delay, status, smpp::status_name(status),
                                     instance_);
            w.commit();
          });
        } else {
          metrics_.mt(mt_result::failed);
          what = "failed";
          co_await db_.run([&](pqxx::connection& c) {
            pqxx::work w(c);
            kept = store::mark_failed(w, row.row_id, status, smpp::status_name(status), instance_);
            w.commit();
          });
        }
        break;
      case smpp::submit_result::outcome::not_sent:
        metrics_.mt(mt_result::retried);
        what = "not_sent";
        co_await db_.run([&](pqxx::connection& c) {
          pqxx::work w(c);
          kept = store::mark_retry(w, row.row_id, std::chrono::seconds(5), std::nullopt,
                                   s ? "no response from the SMSC" : "no bind up for this row");
          w.commit();
        });
        break;
    }
  } catch (const std::exception& e) {
    // The row stays claimed; the stale-claim rule hands it out again later.
    log().error("outbox update failed outbox_id={} error=\"{}\"", row.row_id, e.what());
  }
  if (!kept) log().warn("claim lost, outcome not recorded outbox_id={}", row.row_id);
  log().info("mt outbox_id={} bind={} to={} parts={} result={} status={} smsc_id={}", row.row_id,
             s ? smpp::label(s->options()) : "-", row.destination, ids.size(), what,
             smpp::status_name(status), fmt::join(ids, ","));
}

net::awaitable<void> dispatcher::stop(std::chrono::milliseconds drain) {
  auto self = shared_from_this();
  stopping_ = true;
  wake_.cancel();
  const auto until = std::chrono::steady_clock::now() + drain;
  net::steady_timer poll(executor_);
  while (in_flight_ > 0 && std::chrono::steady_clock::now() < until) {
    co_await sleep(poll, std::chrono::milliseconds(10));
  }
}

}  // namespace smsgw::daemon
