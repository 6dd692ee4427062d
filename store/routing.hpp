// Where an MO goes: the company number it was sent to, with the rules in force there.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

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

/// Routes held in memory, so that no MO reads its route from the database. Whatever a
/// route is made of (numbers, keywords, company settings) is versioned: triggers of
/// migration 007 move `route_version` on in the transaction of every change, from any
/// daemon, the admin API or plain SQL. Each MO transaction calls sync() first (one row
/// read, shared by every MO of a batch), and what was held under another version is
/// forgotten: a change is live for the next MO whose transaction starts after its commit.
/// find() holds nothing until the first sync().
/// Safe to use from every store thread.
class route_cache {
 public:
  using entry = std::shared_ptr<const route>;  ///< nullptr: no company owns the number

  /// Takes the store's route version as a transaction read it (begin_inbound); forgets
  /// every route when it moved.
  void sync(std::int64_t version);
  /// The route for `destination`, read through `t` when not held.
  entry find(pqxx::transaction_base& t, const std::string& destination);

  struct counters {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
  };
  [[nodiscard]] counters stats() const;

 private:
  // Bounds what a stream of MOs to numbers nobody owns can make it hold.
  static constexpr std::size_t max_entries = 10000;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> routes_;
  std::optional<std::int64_t> version_;  ///< what routes_ was read under
  std::uint64_t generation_ = 0;         ///< moved on whenever routes_ is emptied
  counters stats_;
};

}  // namespace smsgw::store
