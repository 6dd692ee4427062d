#include "store/routing.hpp"

#include <pqxx/pqxx>

#include "store/sql_util.hpp"

namespace smsgw::store {

std::optional<route> find_route(pqxx::transaction_base& t, const std::string& destination) {
  const auto n = t.exec_params(
      "SELECT n.id, n.company_id, n.number, n.bind, c.stop_words, c.start_words, c.stop_matching, "
      "       c.stop_reply, c.start_reply, coalesce(nullif(n.help_reply, ''), c.help_reply), "
      // A number's own default reply, else the company's (migration 005).
      "       coalesce(nullif(n.default_reply, ''), c.default_reply) "
      "FROM numbers n JOIN companies c ON c.id = n.company_id "
      "WHERE n.number IN ($1, '+' || ltrim($1, '+'), ltrim($1, '+')) "
      "ORDER BY n.number = $1 DESC LIMIT 1",
      destination);
  if (n.empty()) return std::nullopt;
  const auto& row = n[0];
  route r;
  r.number_id = row[0].as<id>();
  r.company = row[1].as<id>();
  r.number = row[2].as<std::string>();
  if (!row[3].is_null()) r.bind = row[3].as<std::string>();
  r.rules.stop_words = text_array(row[4]);
  r.rules.start_words = text_array(row[5]);
  r.rules.stop_match = row[6].as<std::string>() == "whole_message"
                           ? keywords::stop_matching::whole_message
                           : keywords::stop_matching::first_word;
  r.rules.stop_reply = row[7].as<std::string>();
  r.rules.start_reply = row[8].as<std::string>();
  r.rules.help_reply = row[9].as<std::string>();
  r.rules.default_reply = row[10].as<std::string>();
  for (const auto& k : t.exec_params(
           "SELECT id, keyword, group_id, optin_message, optout_message, help_message, tail "
           "FROM keywords WHERE number_id = $1 ORDER BY id",
           r.number_id)) {
    r.rules.keywords.push_back(
        {k[0].as<id>(), k[1].as<std::string>(), k[2].as<id>(), k[3].as<std::string>(),
         k[4].as<std::string>(), k[5].as<std::string>(),
         k[6].as<std::string>() == "ignore" ? keywords::tail_policy::ignore
                                            : keywords::tail_policy::unmatched});
  }
  return r;
}

void route_cache::sync(std::int64_t version) {
  const std::lock_guard lock(mutex_);
  if (version_ != version) {
    // (Also when another thread synced to a newer version first: forgetting is always safe.)
    routes_.clear();
    version_ = version;
    ++generation_;
  }
}

route_cache::entry route_cache::find(pqxx::transaction_base& t, const std::string& destination) {
  std::uint64_t generation = 0;
  {
    const std::lock_guard lock(mutex_);
    if (const auto it = routes_.find(destination); it != routes_.end()) {
      ++stats_.hits;
      return it->second;
    }
    ++stats_.misses;
    generation = generation_;
  }
  auto found = find_route(t, destination);
  entry e = found ? std::make_shared<const route>(std::move(*found)) : nullptr;
  const std::lock_guard lock(mutex_);
  // Read while another thread moved to another version: use it this once, hold it only if
  // nothing was forgotten meanwhile.
  if (version_ && generation == generation_) {
    if (routes_.size() >= max_entries) routes_.clear();
    routes_.emplace(destination, e);
  }
  return e;
}

route_cache::counters route_cache::stats() const {
  const std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace smsgw::store
