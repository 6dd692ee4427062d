#include "daemon/mo_reader.hpp"

#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "logging/component.hpp"
#include "smpp/concat.hpp"
#include "smpp/receipt.hpp"
#include "smpp/text.hpp"
#include "store/phone.hpp"

namespace smsgw::daemon {

namespace {

spdlog::logger& log() {
  static const auto logger = logging::component("inbound");
  return *logger;
}

}  // namespace

store::inbound_mo to_inbound(const std::string& bind, const smpp::sm_body& deliver,
                             const std::string& octets, std::string_view default_region) {
  store::inbound_mo mo;
  mo.bind = bind;
  mo.source = deliver.source.value;
  const bool digits =
      !mo.source.empty() && mo.source.find_first_not_of("0123456789") == std::string::npos;
  constexpr std::uint8_t ton_unknown = 0, ton_international = 1, ton_national = 2;
  if (deliver.source.ton == ton_international && digits) {
    mo.source.insert(mo.source.begin(), '+');
  } else if ((deliver.source.ton == ton_unknown || deliver.source.ton == ton_national) && digits) {
    if (auto e164 = store::to_e164(mo.source, default_region)) mo.source = std::move(*e164);
  }
  mo.destination = deliver.destination.value;
  mo.data_coding = deliver.data_coding;
  mo.text = smpp::decode_text(deliver.data_coding, octets);
  mo.octets = octets;
  if (mo.text.find("\xEF\xBF\xBD") != std::string::npos) {  // U+FFFD: bytes the coding lacks
    log().info("mo text had undecodable bytes bind={} from={} data_coding={}", bind, mo.source,
               deliver.data_coding);
  }
  return mo;
}

delivered read_deliver(const std::string& bind, const smpp::sm_body& deliver,
                       std::string_view default_region) {
  delivered d;
  if (smpp::is_receipt(deliver)) {
    d.what = delivered::kind::receipt;
    return d;
  }
  const auto read = smpp::read_octets(deliver);
  if (!read.value) {
    d.what = delivered::kind::malformed;
    d.problem = read.error == smpp::octets_error::bad_sar ? "bad_sar" : "bad_udh";
    return d;
  }
  d.mo = to_inbound(bind, deliver, read.value->octets, default_region);
  if (const auto& part = read.value->part) {
    d.what = delivered::kind::part;
    d.key = store::part_key{bind, d.mo.source, d.mo.destination, part->reference, part->total};
    d.index = part->index;
  }
  return d;
}

std::optional<store::inbound_mo> assemble(pqxx::transaction_base& w, const delivered& d) {
  const auto& key = *d.key;
  const auto parts = store::store_part(w, key, d.index, d.mo.data_coding, d.mo.octets);
  std::vector<smpp::message_octets> pieces;
  pieces.reserve(parts.size());
  for (const auto& p : parts) {
    pieces.push_back({p.octets, smpp::part_info{key.reference, key.total, p.index}});
  }
  auto octets = smpp::assemble(pieces);
  if (!octets) return std::nullopt;
  store::delete_parts(w, key);
  store::inbound_mo whole = d.mo;
  whole.data_coding = parts.front().data_coding;  // the first part's coding is the message's
  whole.text = smpp::decode_text(whole.data_coding, *octets);
  whole.octets = std::move(*octets);
  whole.parts = fmt::format("{}/{}", key.reference, key.total);
  return whole;
}

}  // namespace smsgw::daemon
