// Reading a deliver_sm, in one place: what it is (a delivery receipt, an MO, one part of a
// longer MO, or unreadable), the source in E.164 by its TON, the text by its data coding,
// and a long MO's parts stored and joined. The pipeline gets a finished store::inbound_mo.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "smpp/pdu.hpp"
#include "store/inbound.hpp"
#include "store/parts.hpp"

namespace smsgw::daemon {

/// The store's view of an MO from `bind`: `text` decoded from `octets` (already stripped of
/// any UDH), and the source in E.164 wherever it is a phone number (international by its
/// TON, or national or unknown and valid in `default_region`), so that a STOP, an opt-out
/// and the stop list find the number however the SMSC wrote it; other sources (alphanumeric,
/// short codes, numbers libphonenumber refuses) stay as the SMSC gave them.
store::inbound_mo to_inbound(const std::string& bind, const smpp::sm_body& deliver,
                             const std::string& octets, std::string_view default_region);

/// What one deliver_sm carries.
struct delivered {
  enum class kind {
    receipt,    ///< a delivery receipt (smpp::parse_receipt reads it)
    mo,         ///< a whole MO: `mo`
    part,       ///< one part of a longer MO: `mo` (this part's octets and text), `key`, `index`
    malformed,  ///< a UDH or SAR set that cannot be read: `problem`
  };
  kind what = kind::mo;
  store::inbound_mo mo;
  std::optional<store::part_key> key;
  std::uint8_t index = 0;
  std::string problem;  ///< "bad_udh" or "bad_sar"
};

/// Reads `deliver` from `bind`; national and unknown-TON sources in `default_region`.
delivered read_deliver(const std::string& bind, const smpp::sm_body& deliver,
                       std::string_view default_region);

/// In `w`, stores part `d` (a duplicate is ignored) and returns the whole MO once this part
/// completes it (its parts then deleted), nullopt while parts are missing.
std::optional<store::inbound_mo> assemble(pqxx::transaction_base& w, const delivered& d);

}  // namespace smsgw::daemon
