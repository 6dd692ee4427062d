// Where an MO goes: the company number it was sent to, with the rules in force there.
#pragma once

#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "keywords/decide.hpp"
#include "store/directory.hpp"

namespace smsgw::store {

/// A company number and everything the keyword engine needs to answer an MO sent to it.
struct route {
  id company = 0;
  id number_id = 0;
  std::string number;               ///< as stored: short code as dialled, or E.164
  std::optional<std::string> bind;  ///< the bind replies must leave from, if fixed
  keywords::company_rules rules;
};

/// The route for an MO's destination address: matched as given, and with or without a
/// leading `+` (SMSCs differ). nullopt for a number no company owns.
std::optional<route> find_route(pqxx::transaction_base& t, const std::string& destination);

}  // namespace smsgw::store
