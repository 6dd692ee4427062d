// Password hashing for company users: Argon2id through libsodium.
#pragma once

#include <string>

namespace smsgw::store {

/// An Argon2id hash string (`$argon2id$...`) for `password`, with a fresh salt.
std::string hash_password(const std::string& password);

/// True when `password` matches `hash`; false for any malformed hash.
bool verify_password(const std::string& hash, const std::string& password);

}  // namespace smsgw::store
