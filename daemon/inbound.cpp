#include "daemon/inbound.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <string_view>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "keywords/decide.hpp"
#include "smpp/receipt.hpp"
#include "store/parts.hpp"
#include "store/phone.hpp"
#include "store/routing.hpp"
#include "logging/component.hpp"

namespace smsgw::daemon {
namespace {

spdlog::logger& log() {
  static const auto logger = logging::component("inbound");
  return *logger;
}

// What one transaction did with an MO or a part of one.
struct outcome {
  bool whole = true;  // false: a part was stored and the message is not complete yet
  bool routed = false;
  keywords::decision decision;
  std::optional<std::string> refusal;  // refused (and logged) in the transaction
  store::inbound_outcome written;      // once its transaction's batch is applied
};

// The MOs decided in the transaction this database thread is running, to be applied
// together before it commits (inbound_pipeline::apply_batch). group_commit runs a
// transaction on one thread from its first piece to its commit, and one at a time there.
struct decided {
  const store::inbound_mo* mo;
  store::route_cache::entry route;
  outcome* into;
};
struct mo_batch {
  std::vector<decided> mos;
  std::string claimed_by;
  std::chrono::seconds redelivery_window{};
  std::vector<store::id> receipt_rows;  // settled together, after every receipt's part
};
thread_local mo_batch batch_of_this_thread;  // NOLINT(*-avoid-non-const-global-variables)

// Decides `mo` into `result` and leaves it to its transaction's batch. Both outlive the
// transaction.
void decide(pqxx::transaction_base& w, store::route_cache& routes, const store::inbound_mo& mo,
            const std::string& instance, std::chrono::seconds redelivery_window, outcome& result) {
  auto route = routes.find(w, mo.destination);
  result.routed = route != nullptr;
  if (route) result.decision = keywords::decide(mo.text, route->rules);
  if (route && result.decision.what == keywords::action::opt_in &&
      !store::is_contact_number(mo.source)) {
    // Refused in this transaction, with its parts' removal: not applied with the batch.
    result.refusal = "the sender is not a phone number, so it cannot join a group";
    store::record_refused(w, mo, route.get(), *result.refusal);
    return;
  }
  auto& batch = batch_of_this_thread;
  batch.claimed_by = instance;
  batch.redelivery_window = redelivery_window;
  batch.mos.push_back({&mo, std::move(route), &result});
}

// The first line of an error, for a log field and the inbound log's reason.
std::string first_line(std::string_view what) {
  return std::string(what.substr(0, what.find('\n')));
}

// The receipt states as the store records them.
const char* store_state(smpp::message_state s) {
  switch (s) {
    case smpp::message_state::enroute: return "enroute";
    case smpp::message_state::delivered: return "delivered";
    case smpp::message_state::expired: return "expired";
    case smpp::message_state::deleted: return "deleted";
    case smpp::message_state::undeliverable: return "undeliverable";
    case smpp::message_state::accepted: return "accepted";
    case smpp::message_state::unknown: return "unknown";
    case smpp::message_state::rejected: return "rejected";
  }
  return "unknown";
}

}  // namespace

std::vector<std::string> receipt_id_forms(const std::string& id) {
  // Digits only: a decimal id, whose submit_sm_resp may have said it in hexadecimal (never
  // read it as hexadecimal too: "100" and "256" are different messages). With hex letters:
  // a hexadecimal id, whose submit_sm_resp may have said it in decimal or in other case.
  std::vector<std::string> forms{id};
  std::uint64_t value = 0;
  const auto* end = id.data() + id.size();
  const bool digits =
      !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    if (auto [p, ec] = std::from_chars(id.data(), end, value, 10); ec == std::errc{} && p == end) {
      forms.push_back(std::to_string(value));  // without leading zeros
      forms.push_back(fmt::format("{:x}", value));
      forms.push_back(fmt::format("{:X}", value));
    }
  } else if (auto [p, ec] = std::from_chars(id.data(), end, value, 16);
             ec == std::errc{} && p == end) {
    forms.push_back(std::to_string(value));
    forms.push_back(fmt::format("{:x}", value));
    forms.push_back(fmt::format("{:X}", value));
  }
  return forms;
}

inbound_pipeline::inbound_pipeline(store::db_runner& db, store::group_commit& commits,
                                   store::route_cache& routes, dispatcher& out, metrics& m,
                                   std::string instance, std::string default_region,
                                   std::chrono::seconds redelivery_window)
    : db_(db),
      commits_(commits),
      routes_(routes),
      out_(out),
      metrics_(m),
      instance_(std::move(instance)),
      default_region_(std::move(default_region)),
      redelivery_window_(redelivery_window) {}

struct inbound_pipeline::sender_turn {
  explicit sender_turn(const net::any_io_executor& ex)
      : signal(ex, std::chrono::steady_clock::time_point::max()) {}
  net::steady_timer signal;  // cancelled when the turn passes on
  bool busy = false;
  int waiting = 0;
};

net::awaitable<void> inbound_pipeline::wait_turn(const std::string& sender) {
  auto& slot = turns_[sender];
  if (!slot) slot = std::make_shared<sender_turn>(co_await net::this_coro::executor);
  auto turn = slot;
  ++turn->waiting;
  while (turn->busy) {
    boost::system::error_code ec;
    co_await turn->signal.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  --turn->waiting;
  turn->busy = true;
}

void inbound_pipeline::end_turn(const std::string& sender) {
  const auto it = turns_.find(sender);
  if (it == turns_.end()) return;
  it->second->busy = false;
  if (it->second->waiting == 0) {
    turns_.erase(it);  // nobody else from this sender is waiting
  } else {
    it->second->signal.cancel();
  }
}

net::awaitable<std::uint32_t> inbound_pipeline::on_receipt(const std::string& bind,
                                                           const smpp::sm_body& deliver) {
  metrics_.mo(metrics::receipt);
  const auto r = smpp::parse_receipt(deliver);
  if (!r) {
    // Answered OK all the same: redelivering an unreadable receipt cannot make it readable.
    log().warn("receipt unreadable bind={} from={} esm_class={}", bind, deliver.source.value,
               deliver.esm_class);
    co_return smpp::status::ok;
  }
  const auto forms = receipt_id_forms(r->message_id);
  const std::string state = store_state(r->state);
  std::optional<store::id> row;
  // A fast SMSC can report before our record of the submit is committed: look again
  // briefly before calling the id unknown.
  net::steady_timer again(co_await net::this_coro::executor);
  for (int attempt = 0; attempt < 4 && !row; ++attempt) {
    if (attempt > 0) {
      again.expires_after(std::chrono::milliseconds(100 * attempt));
      boost::system::error_code ec;
      co_await again.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    const store::group_commit::work record = [&](pqxx::transaction_base& w) {
      row = store::record_receipt_part(w, bind, forms, state, r->error);
      if (row) batch_of_this_thread.receipt_rows.push_back(*row);
    };
    try {
      co_await commits_.run(record);
    } catch (const std::exception& e) {
      metrics_.mo_failed();
      log().error("receipt not stored bind={} smsc_id={} error=\"{}\"", bind, r->message_id,
                  e.what());
      co_return smpp::status::temporary_app_error;
    }
  }
  log().info("receipt bind={} smsc_id={} state={} err={} outbox_id={}", bind, r->message_id, state,
             r->error, row ? std::to_string(*row) : "unknown");
  co_return smpp::status::ok;
}

net::awaitable<std::uint32_t> inbound_pipeline::on_deliver(const std::string& bind,
                                                           const smpp::sm_body& deliver) {
  const auto started = std::chrono::steady_clock::now();
  const delivered in = read_deliver(bind, deliver, default_region_);
  if (in.what == delivered::kind::receipt) co_return co_await on_receipt(bind, deliver);
  if (in.what == delivered::kind::malformed) {
    metrics_.mo(metrics::refused);
    log().warn("mo refused bind={} from={} reason={}", bind, deliver.source.value, in.problem);
    co_return smpp::status::permanent_app_error;
  }
  co_await wait_turn(in.mo.source);
  struct turn_end {
    inbound_pipeline& p;
    const std::string& sender;
    ~turn_end() { p.end_turn(sender); }
  } end_of_turn{*this, in.mo.source};
  outcome o;
  std::optional<store::inbound_mo> assembled;
  const store::inbound_mo* whole = &in.mo;  // the MO its transaction applies
  const store::group_commit::work work = [&](pqxx::transaction_base& w) {
    o = outcome{};
    whole = &in.mo;  // a rerun (the batch rolled back) may find the message incomplete
    if (in.what == delivered::kind::part) {
      // The part is stored first; the transaction that completes the message decides it.
      assembled = assemble(w, in);
      if (!assembled) {
        o.whole = false;
        return;
      }
      whole = &*assembled;
    }
    decide(w, routes_, *whole, instance_, redelivery_window_, o);
  };
  std::optional<std::string> refusal;
  try {
    co_await commits_.run(work);
  } catch (const std::exception& e) {
    if (store::retry_can_fix(e)) {
      metrics_.mo_failed();
      log().error("mo not stored bind={} from={} to={} error=\"{}\"", bind, in.mo.source,
                  in.mo.destination, first_line(e.what()));
      co_return smpp::status::temporary_app_error;  // the SMSC redelivers later
    }
    refusal = first_line(e.what());
  }
  if (refusal) co_return co_await refuse(*whole, in.key, *refusal);
  if (o.refusal) {  // logged in its transaction
    metrics_.mo(metrics::refused);
    log().warn("mo refused bind={} from={} to={} reason=\"{}\"", bind, in.mo.source,
               in.mo.destination, *o.refusal);
    co_return smpp::status::permanent_app_error;
  }
  if (!o.whole) {
    log().info("mo part stored bind={} from={} to={} ref={} part={}/{}", bind, in.mo.source,
               in.mo.destination, in.key->reference, in.index, in.key->total);
    co_return smpp::status::ok;
  }
  if (o.written.redelivered) {
    metrics_.mo(metrics::redelivered);
    log().info("mo redelivered bind={} from={} to={} inbound_id={}", bind, in.mo.source,
               in.mo.destination, o.written.inbound_id);
    co_return smpp::status::ok;
  }
  metrics_.mo(o.routed ? metrics::index_of(o.decision.what) : metrics::unrouted);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  metrics_.mo_latency(static_cast<std::uint64_t>(micros.count()));
  log().info("mo bind={} from={} to={} decision={} keyword={} inbound_id={} replies={}", bind,
             in.mo.source, in.mo.destination,
             o.routed ? keywords::to_string(o.decision.what) : "unrouted",
             o.decision.keyword ? o.decision.keyword->keyword : "-", o.written.inbound_id,
             o.written.replies.size());
  out_.send_now(std::move(o.written.replies));
  co_return smpp::status::ok;
}

void inbound_pipeline::begin_batch(pqxx::transaction_base& /*t*/) {
  // What a failed transaction left.
  batch_of_this_thread.mos.clear();
  batch_of_this_thread.receipt_rows.clear();
}

void inbound_pipeline::apply_batch(pqxx::transaction_base& t) {
  auto& batch = batch_of_this_thread;
  // Receipts' rows are decided once all of the batch's parts are in, their locks taken in
  // row order: two batches with receipts for the parts of two long messages would otherwise
  // lock the rows crosswise and deadlock (PostgreSQL breaks it after a second).
  store::settle_receipts(t, batch.receipt_rows);
  batch.receipt_rows.clear();
  if (batch.mos.empty()) return;
  std::vector<store::decided_mo> mos;
  mos.reserve(batch.mos.size());
  for (const auto& d : batch.mos) mos.push_back({d.mo, d.route.get(), &d.into->decision});
  auto written = store::apply_decisions(t, mos, batch.claimed_by, batch.redelivery_window);
  for (std::size_t i = 0; i < written.size(); ++i) {
    batch.mos[i].into->written = std::move(written[i]);
  }
  batch.mos.clear();
}

net::awaitable<std::uint32_t> inbound_pipeline::refuse(const store::inbound_mo& mo,
                                                       const std::optional<store::part_key>& parts,
                                                       const std::string& reason) {
  // What the data breaks breaks again on every redelivery: logged with the reason and
  // refused for good, so the SMSC stops redelivering it; a long message's parts go with it.
  const store::group_commit::work record = [&](pqxx::transaction_base& w) {
    if (parts) store::delete_parts(w, *parts);
    store::record_refused(w, mo, routes_.find(w, mo.destination).get(), reason);
  };
  try {
    co_await commits_.run(record);
  } catch (const std::exception& e) {
    metrics_.mo_failed();
    log().error("mo not stored bind={} from={} to={} error=\"{}\" refusal_not_logged=\"{}\"",
                mo.bind, mo.source, mo.destination, reason, first_line(e.what()));
    co_return smpp::status::temporary_app_error;
  }
  metrics_.mo(metrics::refused);
  log().warn("mo refused bind={} from={} to={} reason=\"{}\"", mo.bind, mo.source, mo.destination,
             reason);
  co_return smpp::status::permanent_app_error;
}

net::awaitable<void> inbound_pipeline::prune_redelivery() {
  try {
    co_await db_.run([&](pqxx::connection& c) {
      pqxx::work w(c);
      store::prune_redelivery(w, redelivery_window_);
      w.commit();
    });
  } catch (const std::exception& e) {
    log().error("pruning seen mos failed error=\"{}\"", first_line(e.what()));
  }
}

net::awaitable<void> inbound_pipeline::expire_parts(std::chrono::seconds age) {
  try {
    const auto expired = co_await db_.run([&](pqxx::connection& c) {
      pqxx::work w(c);
      auto gone = store::expire_parts(w, age);
      w.commit();
      return gone;
    });
    for (const auto& e : expired) {
      log().warn("multipart mo expired bind={} from={} to={} ref={} parts={}/{}", e.key.bind,
                 e.key.source, e.key.destination, e.key.reference, e.parts_received, e.key.total);
    }
  } catch (const std::exception& e) {
    log().error("expiring parts failed error=\"{}\"", e.what());
  }
}

}  // namespace smsgw::daemon
