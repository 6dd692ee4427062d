// A company on a fresh test database, with helpers to act as its users, for the contact
// store tests (access, contacts, groups, expansion, visibility).
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "store/access.hpp"
#include "store/contacts.hpp"
#include "store/directory.hpp"
#include "store/domains.hpp"
#include "store/expansion.hpp"
#include "store/groups.hpp"
#include "tests/support/pg.hpp"

namespace smsgw::testing {

/// The region national numbers are read in throughout these tests.
inline constexpr const char* region = "AU";

/// Company "Acme" with its admin `admin`; users added with add_user.
class store_company {
 public:
  explicit store_company(const test_database& db) : conn(db.dsn()) {
    pqxx::work t(conn);
    company = store::create_company(t, "Acme");
    shared = store::builtin_domain(t, company, "shared");
    user_domain = store::builtin_domain(t, company, "user");
    admin = store::create_user(t, company, {"admin", "Ada Admin", store::role::company_admin, ""});
    t.commit();
  }

  /// Runs `f(transaction)` in its own transaction and commits; exceptions abort it.
  template <class F>
  auto run(F&& f) {
    pqxx::work t(conn);
    auto out = f(static_cast<pqxx::transaction_base&>(t));
    t.commit();
    return out;
  }

  /// A new user of the company.
  store::id add_user(const std::string& username, store::role r = store::role::user) {
    return run([&](pqxx::transaction_base& t) {
      return store::create_user(t, company, {username, username, r, ""});
    });
  }

  /// The personal domain of `user`.
  store::id personal_domain(store::id user) {
    return run([&](pqxx::transaction_base& t) {
      return t.exec_params1("SELECT id FROM domains WHERE owner_id = $1", user)[0].as<store::id>();
    });
  }

  /// A custom domain created by `creator`.
  store::id add_domain(store::id creator, const std::string& name,
                       std::vector<std::string> properties = {}) {
    return run([&](pqxx::transaction_base& t) {
      return store::create_domain(t, creator, {name, std::move(properties), {}});
    });
  }

  /// A group created by `creator`.
  store::id add_group(store::id creator, store::id domain, const std::string& name,
                      store::group_type type = store::group_type::contacts_only) {
    return run([&](pqxx::transaction_base& t) {
      return store::create_group(t, creator, store::new_group{domain, name, type, "", ""}).group_id;
    });
  }

  /// A contact created by `creator` in `domain` and `groups`.
  store::id add_contact(store::id creator, store::id domain, const std::string& name,
                        const std::string& number, std::vector<store::id> groups) {
    return run([&](pqxx::transaction_base& t) {
      store::new_contact c;
      c.domain = domain;
      c.name = name;
      c.number = number;
      c.groups = std::move(groups);
      return store::create_contact(t, creator, c, region).value.contact_id;
    });
  }

  /// Sets a grant as `actor`.
  void grant(store::id actor, store::id domain, store::grantee who, store::access_level level) {
    run([&](pqxx::transaction_base& t) {
      store::set_grant(t, actor, domain, who, level);
      return 0;
    });
  }

  /// `user`'s access to `domain`.
  store::access access(store::id user, store::id domain) {
    return run([&](pqxx::transaction_base& t) { return store::access_to(t, user, domain); });
  }

  /// Every member of `group` that `reader` sees, as (type, id), over all pages of `page` items.
  std::vector<std::pair<store::member_type, store::id>> members(store::id reader, store::id group,
                                                                int page = 100) {
    std::vector<std::pair<store::member_type, store::id>> out;
    std::optional<store::member_cursor> from;
    do {
      const auto p = run([&](pqxx::transaction_base& t) {
        return store::list_members(t, reader, group, from, page);
      });
      for (const auto& m : p.items) out.emplace_back(m.type, m.member_id);
      from = p.next;
    } while (from);
    return out;
  }

  /// The ids of `reader`'s search results for `query`, in order.
  std::vector<store::id> search(store::id reader, const std::string& query, int limit = 20) {
    return run([&](pqxx::transaction_base& t) {
      std::vector<store::id> out;
      for (const auto& c : store::search_contacts(t, reader, query, limit, region)) {
        out.push_back(c.contact_id);
      }
      return out;
    });
  }

  /// Every contact id `reader` lists, over pages of `page`.
  std::vector<store::id> listed(store::id reader, int page = 100) {
    std::vector<store::id> out;
    store::id after = 0;
    for (;;) {
      const auto p = run([&](pqxx::transaction_base& t) {
        return store::list_contacts(t, reader, {}, after, page);
      });
      for (const auto& c : p) out.push_back(c.contact_id);
      if (static_cast<int>(p.size()) < page) return out;
      after = p.back().contact_id;
    }
  }

  /// The recipient numbers of `sender`'s send to `to`, sorted, through the streaming cursor.
  std::vector<std::string> recipients(store::id sender, const store::send_request& to,
                                      std::size_t batch = 1000) {
    auto out = run([&](pqxx::transaction_base& t) {
      std::vector<std::string> numbers;
      store::recipient_cursor cursor(t, sender, to, region, batch);
      for (auto b = cursor.next(); !b.empty(); b = cursor.next()) {
        numbers.insert(numbers.end(), b.begin(), b.end());
      }
      return numbers;
    });
    std::sort(out.begin(), out.end());
    return out;
  }

  pqxx::connection conn;
  store::id company = 0;
  store::id shared = 0;
  store::id user_domain = 0;
  store::id admin = 0;
};

/// Waits until some transaction of `db` waits for a lock (true), or 10 s have passed (false):
/// proof that a concurrent change blocks rather than slips through.
inline bool lock_wait_seen(const test_database& db) {
  for (int i = 0; i < 1000; ++i) {
    if (db.scalar("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                  "WHERE NOT l.granted AND a.datname = current_database()") != "0") {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

/// A user grantee.
inline store::grantee user_grantee(store::id u) {
  return {store::grantee::kind::user, u};
}
/// A group grantee.
inline store::grantee group_grantee(store::id g) {
  return {store::grantee::kind::group, g};
}

}  // namespace smsgw::testing
