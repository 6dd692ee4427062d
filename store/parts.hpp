// Parts of multipart MOs, kept in PostgreSQL until the message is whole.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace smsgw::store {

/// Identifies one multipart message: parts of different senders or binds never mix.
struct part_key {
  std::string bind;
  std::string source;
  std::string destination;
  std::uint16_t reference = 0;
  std::uint8_t total = 2;
};

/// One stored part.
struct stored_part {
  std::uint8_t index = 1;
  std::uint8_t data_coding = 0;
  std::string octets;
};

/// Stores a part (a duplicate is ignored) and returns every part of its message stored
/// so far, by index. Parts of one message are serialised with an advisory lock, so the
/// transaction that stores the last part sees all the others.
std::vector<stored_part> store_part(pqxx::transaction_base& t, const part_key& key,
                                    std::uint8_t index, std::uint8_t data_coding,
                                    const std::string& octets);

/// Removes the parts of a message (once it is whole and handled).
void delete_parts(pqxx::transaction_base& t, const part_key& key);

/// Removes every part of messages whose first part is older than `age`, and returns how
/// many parts each such message had.
struct expired_message {
  part_key key;
  int parts_received = 0;
};
std::vector<expired_message> expire_parts(pqxx::transaction_base& t, std::chrono::seconds age);

}  // namespace smsgw::store
