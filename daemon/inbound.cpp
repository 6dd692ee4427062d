#include "daemon/inbound.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "keywords/decide.hpp"
#include "smpp/text.hpp"
#include "store/routing.hpp"

namespace smsgw::daemon {
namespace {

spdlog::logger& log() {
  static const auto logger = [] {
    auto l = spdlog::default_logger()->clone("inbound");
    spdlog::register_logger(l);
    return l;
  }();
  return *logger;
}

constexpr std::uint8_t esm_udhi = 0x40;
constexpr std::uint8_t esm_type_mask = 0x3C;

}  // namespace

bool is_receipt(const smpp::sm_body& deliver) {
  const auto type = deliver.esm_class & esm_type_mask;
  return type == 0x04 || type == 0x08 || type == 0x10 || type == 0x20;  // SMSC, SME, intermediate
}

store::inbound_mo to_inbound(const std::string& bind, const smpp::sm_body& deliver) {
  store::inbound_mo mo;
  mo.bind = bind;
  mo.source = deliver.source.value;
  if (deliver.source.ton == 1 && !mo.source.empty() && mo.source.front() != '+') {
    mo.source.insert(mo.source.begin(), '+');
  }
  mo.destination = deliver.destination.value;
  mo.data_coding = deliver.data_coding;
  std::string octets = deliver.short_message;
  if (const auto* payload = deliver.find_tlv(smpp::tag::message_payload);
      payload && octets.empty()) {
    octets = *payload;
  }
  if ((deliver.esm_class & esm_udhi) != 0 && !octets.empty()) {
    // UDH: its first octet is its own length. Reassembly of parts comes with the codec work.
    const std::size_t udh = 1 + static_cast<std::uint8_t>(octets[0]);
    octets.erase(0, std::min(udh, octets.size()));
  }
  mo.text = smpp::decode_text(deliver.data_coding, octets);
  return mo;
}

inbound_pipeline::inbound_pipeline(db_runner& db, dispatcher& out, metrics& m, std::string instance)
    : db_(db), out_(out), metrics_(m), instance_(std::move(instance)) {}

net::awaitable<std::uint32_t> inbound_pipeline::on_deliver(const std::string& bind,
                                                           const smpp::sm_body& deliver) {
  const auto started = std::chrono::steady_clock::now();
  if (is_receipt(deliver)) {
    // Receipt parsing and status updates come with the SMPP codec work; never an MO.
    metrics_.mo(metrics::receipt);
    log().info("receipt bind={} from={} esm_class={}", bind, deliver.source.value,
               deliver.esm_class);
    co_return smpp::status::ok;
  }
  const store::inbound_mo mo = to_inbound(bind, deliver);
  struct outcome {
    bool routed = false;
    keywords::decision decision;
    store::inbound_outcome written;
  };
  outcome o;
  try {
    o = co_await db_.run([&mo, this](pqxx::connection& c) {
      pqxx::work w(c);
      outcome result;
      const auto route = store::find_route(w, mo.destination);
      result.routed = route.has_value();
      if (route) result.decision = keywords::decide(mo.text, route->rules);
      result.written =
          store::apply_decision(w, mo, route ? &*route : nullptr, result.decision, instance_);
      w.commit();
      return result;
    });
  } catch (const std::exception& e) {
    metrics_.mo_failed();
    log().error("mo not stored bind={} from={} to={} error=\"{}\"", bind, mo.source, mo.destination,
                e.what());
    co_return smpp::status::temporary_app_error;  // the SMSC redelivers later
  }
  metrics_.mo(o.routed ? metrics::index_of(o.decision.what) : metrics::unrouted);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  metrics_.mo_latency(static_cast<std::uint64_t>(micros.count()));
  log().info("mo bind={} from={} to={} decision={} keyword={} inbound_id={} replies={}", bind,
             mo.source, mo.destination,
             o.routed ? keywords::to_string(o.decision.what) : "unrouted",
             o.decision.keyword ? o.decision.keyword->keyword : "-", o.written.inbound_id,
             o.written.replies.size());
  log().debug("mo text inbound_id={} text=\"{}\"", o.written.inbound_id, mo.text);
  out_.send_now(std::move(o.written.replies));
  co_return smpp::status::ok;
}

}  // namespace smsgw::daemon
