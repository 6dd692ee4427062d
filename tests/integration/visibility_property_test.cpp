// A property test of visibility: random users, user groups, domains, grants, contacts and
// nested contact groups; for every user, every read path (effective access, contact list,
// single reads, search, member lists, send expansion) must give what a plain reference
// implementation of PRODUCT.md §2's four rules gives.
#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "store/access.hpp"
#include "store/contacts.hpp"
#include "store/errors.hpp"
#include "store/expansion.hpp"
#include "store/groups.hpp"
#include "tests/integration/contact_store_fixture.hpp"

namespace store = smsgw::store;
using smsgw::testing::region;
using smsgw::testing::store_company;
using smsgw::testing::test_database;
using store::access_level;
using store::id;
using tx = pqxx::transaction_base;

namespace {

struct model_domain {
  id domain_id = 0;
  std::string kind;  // shared, user, personal, custom
  id owner = 0;
};

struct model_group {
  id group_id = 0;
  id domain = 0;
  std::vector<id> users;     // user groups
  std::vector<id> contacts;  // contact groups
  std::vector<id> children;
};

struct model_contact {
  id contact_id = 0;
  id domain = 0;
  std::string name;
  std::string number;
};

/// The company as generated, and the four rules computed over it in plain C++.
struct model {
  std::map<id, bool> users;  // user -> is admin
  std::map<id, model_domain> domains;
  std::map<id, model_group> user_groups;
  std::map<id, model_group> contact_groups;
  std::map<id, model_contact> contacts;
  std::map<std::pair<id, id>, access_level> user_grants;   // (domain, user)
  std::map<std::pair<id, id>, access_level> group_grants;  // (domain, group)
  std::set<std::string> suppressed;

  /// Whether a user group carries grants: only groups of the User domain do (a group any
  /// user may edit must not hand out access).
  bool carries_grants(const model_group& g) const { return domains.at(g.domain).kind == "user"; }

  /// The User-domain groups containing `u`, directly or through User-domain nesting.
  std::set<id> groups_of(id u) const {
    std::set<id> out;
    for (const auto& [g, grp] : user_groups) {
      if (carries_grants(grp) &&
          std::find(grp.users.begin(), grp.users.end(), u) != grp.users.end()) {
        out.insert(g);
      }
    }
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [g, grp] : user_groups) {
        if (out.count(g) != 0 || !carries_grants(grp)) continue;
        for (const id child : grp.children) {
          if (out.count(child) != 0) {
            out.insert(g);
            grew = true;
            break;
          }
        }
      }
    }
    return out;
  }

  access_level level(id u, id d) const {
    const auto& dom = domains.at(d);
    if (dom.kind == "personal") return dom.owner == u ? access_level::editor : access_level::none;
    if (const auto g = user_grants.find({d, u}); g != user_grants.end()) return g->second;
    std::optional<access_level> best;
    for (const id g : groups_of(u)) {
      if (const auto x = group_grants.find({d, g}); x != group_grants.end()) {
        best = std::max(best.value_or(access_level::none), x->second);
      }
    }
    if (best) return *best;
    if (dom.kind == "shared") return access_level::editor;
    return users.at(u) ? access_level::editor : access_level::none;
  }

  bool sees(id u, id d) const { return level(u, d) != access_level::none; }

  /// The numbers u's send to `named` reaches.
  std::vector<std::string> recipients(id u, const std::vector<id>& named) const {
    std::set<id> reached;
    std::vector<id> todo;
    for (const id g : named) {
      if (sees(u, contact_groups.at(g).domain)) todo.push_back(g);
    }
    while (!todo.empty()) {
      const id g = todo.back();
      todo.pop_back();
      if (!reached.insert(g).second) continue;
      for (const id child : contact_groups.at(g).children) {
        if (sees(u, contact_groups.at(child).domain)) todo.push_back(child);
      }
    }
    std::set<std::string> numbers;
    for (const id g : reached) {
      for (const id c : contact_groups.at(g).contacts) {
        const auto& contact = contacts.at(c);
        if (sees(u, contact.domain) && suppressed.count(contact.number) == 0) {
          numbers.insert(contact.number);
        }
      }
    }
    return {numbers.begin(), numbers.end()};
  }
};

access_level random_level(std::mt19937& rng) {
  return static_cast<access_level>(std::uniform_int_distribution<int>(0, 2)(rng));
}

/// Builds a random company through SQL (the readers are under test, not the writers), with
/// the triggers' rules still applying.
model generate(store_company& acme, std::mt19937& rng) {
  model m;
  const auto pick = [&](const auto& container) {
    auto it = container.begin();
    std::advance(it, std::uniform_int_distribution<std::size_t>(0, container.size() - 1)(rng));
    return it->first;
  };
  const auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };
  m.users[acme.admin] = true;
  for (int i = 0; i < 7; ++i) {
    const bool admin = chance(0.25);
    m.users[acme.add_user("u" + std::to_string(i),
                          admin ? store::role::group_admin : store::role::user)] = admin;
  }
  acme.run([&](tx& t) {
    for (const auto& r : t.exec_params("SELECT id, kind, coalesce(owner_id, 0) FROM domains "
                                       "WHERE company_id = $1",
                                       acme.company)) {
      m.domains[r[0].as<id>()] = {r[0].as<id>(), r[1].as<std::string>(), r[2].as<id>()};
    }
    return 0;
  });
  for (int i = 0; i < 5; ++i) {
    const id d = acme.add_domain(pick(m.users), "Domain " + std::to_string(i));
    m.domains[d] = {d, "custom", 0};
  }
  acme.run([&](tx& t) {
    // The creators' grants.
    for (const auto& r : t.exec("SELECT domain_id, grantee_user_id FROM grants")) {
      m.user_grants[{r[0].as<id>(), r[1].as<id>()}] = access_level::editor;
    }
    return 0;
  });
  acme.run([&](tx& t) {
    const auto insert_group = [&](id domain, const char* type) {
      return t
          .exec_params1(
              "INSERT INTO groups (company_id, domain_id, name, type) VALUES ($1, $2, 'G', $3) "
              "RETURNING id",
              acme.company, domain, type)[0]
          .as<id>();
    };
    // User groups, mostly in the User domain, some in Shared or a custom domain (whose
    // grants and nesting must not count), each nesting only earlier ones (so no cycle).
    for (int i = 0; i < 7; ++i) {
      model_group g;
      g.domain = acme.user_domain;
      if (chance(0.3)) {
        do {
          g.domain = pick(m.domains);
        } while (m.domains[g.domain].kind == "personal");
      }
      g.group_id = insert_group(g.domain, "users_only");
      for (const auto& [u, admin] : m.users) {
        if (chance(0.3)) g.users.push_back(u);
      }
      for (const auto& [other, unused] : m.user_groups) {
        if (chance(0.3)) g.children.push_back(other);
      }
      for (const id u : g.users) {
        t.exec_params0("INSERT INTO group_users VALUES ($1, $2)", g.group_id, u);
      }
      for (const id c : g.children) {
        t.exec_params0("INSERT INTO group_groups VALUES ($1, $2)", g.group_id, c);
      }
      m.user_groups[g.group_id] = g;
    }
    // Grants of every kind but on personal domains, where the store refuses them; a few on
    // personal domains written anyway, which must change nothing.
    for (int i = 0; i < 25; ++i) {
      const id d = pick(m.domains);
      const auto level = random_level(rng);
      if (chance(0.6)) {
        const id u = pick(m.users);
        if (m.domains[d].kind != "personal") m.user_grants[{d, u}] = level;
        t.exec_params0(
            "INSERT INTO grants (company_id, domain_id, grantee_user_id, level) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (domain_id, grantee_user_id) "
            "DO UPDATE SET level = EXCLUDED.level",
            acme.company, d, u, store::to_string(level));
      } else {
        const id g = pick(m.user_groups);
        if (m.domains[d].kind != "personal") m.group_grants[{d, g}] = level;
        t.exec_params0(
            "INSERT INTO grants (company_id, domain_id, grantee_group_id, level) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (domain_id, grantee_group_id) "
            "DO UPDATE SET level = EXCLUDED.level",
            acme.company, d, g, store::to_string(level));
      }
    }
    // Contacts in every kind of domain; a number may recur in other domains.
    static const std::vector<std::string> words = {"alpha", "bravo",   "charlie", "delta",
                                                   "echo",  "foxtrot", "golf",    "hotel",
                                                   "india", "juliet"};
    for (int i = 0; i < 120; ++i) {
      model_contact c;
      c.domain = pick(m.domains);
      c.name = "Member " + words[rng() % words.size()] + " " + words[rng() % words.size()];
      c.number = "+614120" + std::to_string(10000 + rng() % 90);
      const auto r = t.exec_params(
          "INSERT INTO contacts (company_id, domain_id, name, number) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT DO NOTHING RETURNING id",
          acme.company, c.domain, c.name, c.number);
      if (r.empty()) continue;
      c.contact_id = r[0][0].as<id>();
      m.contacts[c.contact_id] = c;
    }
    // Contact groups anywhere, with members from any domain, nesting only earlier groups.
    for (int i = 0; i < 12; ++i) {
      model_group g;
      g.domain = pick(m.domains);
      g.group_id = insert_group(g.domain, "contacts_only");
      for (const auto& [c, unused] : m.contacts) {
        if (chance(0.12)) g.contacts.push_back(c);
      }
      for (const auto& [other, unused] : m.contact_groups) {
        if (chance(0.2)) g.children.push_back(other);
      }
      for (const id c : g.contacts) {
        t.exec_params0("INSERT INTO group_contacts VALUES ($1, $2)", g.group_id, c);
      }
      for (const id c : g.children) {
        t.exec_params0("INSERT INTO group_groups VALUES ($1, $2)", g.group_id, c);
      }
      m.contact_groups[g.group_id] = g;
    }
    for (int i = 0; i < 8; ++i) {
      const std::string n = m.contacts.at(pick(m.contacts)).number;
      m.suppressed.insert(n);
      // The SMS path's form (no +) for half of them.
      t.exec_params0(
          "INSERT INTO suppressions (company_id, number, source) VALUES ($1, $2, 'sms') "
          "ON CONFLICT DO NOTHING",
          acme.company, i % 2 == 0 ? n : n.substr(1));
    }
    return 0;
  });
  return m;
}

void check_every_path(store_company& acme, const model& m) {
  for (const auto& [u, admin] : m.users) {
    SCOPED_TRACE("user " + std::to_string(u));
    // Effective access.
    std::vector<std::pair<id, access_level>> expected_levels;
    for (const auto& [d, unused] : m.domains) expected_levels.emplace_back(d, m.level(u, d));
    std::vector<std::pair<id, access_level>> levels;
    for (const auto& [d, a] : acme.run([&](tx& t) { return store::effective_accesses(t, u); })) {
      levels.emplace_back(d, a.level);
    }
    EXPECT_EQ(levels, expected_levels);

    // The contacts u may see, by id and in search order.
    std::vector<id> visible;
    std::vector<std::pair<std::string, id>> by_name;
    for (const auto& [c, contact] : m.contacts) {
      if (!m.sees(u, contact.domain)) continue;
      visible.push_back(c);
      std::string lower = contact.name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](char ch) { return static_cast<char>(std::tolower(ch)); });
      by_name.emplace_back(lower, c);
    }
    std::sort(by_name.begin(), by_name.end());
    std::vector<id> search_order;
    for (const auto& [name, c] : by_name) search_order.push_back(c);

    EXPECT_EQ(acme.listed(u, 37), visible);
    for (const auto& [c, contact] : m.contacts) {
      const bool readable = acme.run([&](tx& t) {
        try {
          store::get_contact(t, u, c);
          return true;
        } catch (const store::not_found&) {
          return false;
        }
      });
      EXPECT_EQ(readable, m.sees(u, contact.domain)) << "contact " << c;
    }
    EXPECT_EQ(acme.search(u, "member", 100000), search_order);
    const std::size_t first = std::min<std::size_t>(7, search_order.size());
    EXPECT_EQ(
        acme.search(u, "MEMB", 7),
        std::vector<id>(search_order.begin(), search_order.begin() + static_cast<long>(first)));
    // A second word's prefix: every visible contact with a word starting "ch" (charlie).
    std::set<id> with_ch;
    for (const id c : visible) {
      const auto& name = m.contacts.at(c).name;
      if (name.find(" charlie") != std::string::npos) with_ch.insert(c);
    }
    const auto found = acme.search(u, "Ch", 100000);
    EXPECT_EQ(std::set<id>(found.begin(), found.end()), with_ch);
    // A number prefix finds the visible contacts with numbers starting so.
    std::set<id> with_prefix;
    for (const id c : visible) {
      if (m.contacts.at(c).number.rfind("+6141200100", 0) == 0) with_prefix.insert(c);
    }
    const auto by_number = acme.search(u, "61 4120 0100", 100000);
    EXPECT_EQ(std::set<id>(by_number.begin(), by_number.end()), with_prefix);

    // Member lists and expansion, group by group, then everything at once.
    std::vector<id> all_groups;
    for (const auto& [g, grp] : m.contact_groups) {
      all_groups.push_back(g);
      if (!m.sees(u, grp.domain)) {
        EXPECT_THROW(acme.members(u, g), store::not_found);
      } else {
        std::vector<std::pair<store::member_type, id>> expected;
        std::vector<id> children = grp.children;
        std::sort(children.begin(), children.end());
        for (const id child : children) {
          if (m.sees(u, m.contact_groups.at(child).domain)) {
            expected.emplace_back(store::member_type::group, child);
          }
        }
        std::vector<id> members = grp.contacts;
        std::sort(members.begin(), members.end());
        for (const id c : members) {
          if (m.sees(u, m.contacts.at(c).domain)) {
            expected.emplace_back(store::member_type::contact, c);
          }
        }
        EXPECT_EQ(acme.members(u, g, 5), expected) << "group " << g;
      }
      EXPECT_EQ(acme.recipients(u, {{g}, {}, {}}, 7), m.recipients(u, {g})) << "group " << g;
    }
    const auto expected_all = m.recipients(u, all_groups);
    EXPECT_EQ(acme.recipients(u, {all_groups, {}, {}}), expected_all);
    const auto queued = acme.run([&](tx& t) {
      return store::queue_send(t, u, {"4040", "property", std::nullopt}, {all_groups, {}, {}},
                               region);
    });
    EXPECT_EQ(queued.recipients, static_cast<std::int64_t>(expected_all.size()));
    EXPECT_EQ(acme.run([&](tx& t) {
      std::vector<std::string> out;
      for (const auto& r : t.exec_params("SELECT destination FROM outbox "
                                         "WHERE message_id = $1 ORDER BY 1",
                                         queued.message_id)) {
        out.push_back(r[0].as<std::string>());
      }
      return out;
    }),
              expected_all);
  }
}

TEST(VisibilityPropertyTest, EveryReadPathAgreesWithTheFourRules) {
  for (const unsigned seed : {1U, 2U, 3U}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    test_database db;
    store_company acme(db);
    std::mt19937 rng(seed);
    const model m = generate(acme, rng);
    // The data must exercise the rules: users who see different sets of domains.
    std::set<std::vector<bool>> views;
    for (const auto& [u, admin] : m.users) {
      std::vector<bool> view;
      for (const auto& [d, unused] : m.domains) view.push_back(m.sees(u, d));
      views.insert(view);
    }
    EXPECT_GE(views.size(), 4U);
    check_every_path(acme, m);
  }
}

}  // namespace
