#include "daemon/setup.hpp"

#include <iostream>
#include <map>

#include <pqxx/pqxx>

#include "store/directory.hpp"
#include "store/migrate.hpp"
#include "store/password.hpp"
#include "store/pool.hpp"

namespace smsgw::daemon {
namespace {

// `--name value` pairs after the command word; nullopt on a stray word.
std::optional<std::map<std::string, std::string>> options(const std::vector<std::string>& args) {
  std::map<std::string, std::string> out;
  for (std::size_t i = 1; i < args.size(); i += 2) {
    if (args[i].rfind("--", 0) != 0 || i + 1 >= args.size()) return std::nullopt;
    out[args[i].substr(2)] = args[i + 1];
  }
  return out;
}

int bootstrap(pqxx::connection& c, const std::string& company, const std::string& admin,
              std::istream& in, std::ostream& out) {
  {
    pqxx::read_transaction r(c);
    if (store::find_company(r, company)) {
      out << "company \"" << company << "\" exists; nothing changed\n";
      return 0;
    }
  }
  std::string password;
  std::getline(in, password);
  if (password.size() < 8) {
    std::cerr
        << "bootstrap: the admin password (read from standard input) needs 8 or more characters\n";
    return 1;
  }
  pqxx::work w(c);
  const auto id = store::create_company(w, company);
  store::create_user(w, id,
                     {admin, admin, store::role::company_admin, store::hash_password(password)});
  w.commit();
  out << "created company \"" << company << "\" with admin \"" << admin << "\"\n";
  return 0;
}

int demo(pqxx::connection& c, const std::string& company, std::ostream& out) {
  pqxx::work w(c);
  const auto id = store::find_company(w, company);
  if (!id) {
    std::cerr << "demo: no company \"" << company << "\" (run bootstrap first)\n";
    return 1;
  }
  const auto shared = store::builtin_domain(w, *id, "shared");
  const auto existing =
      w.exec_params("SELECT id FROM groups WHERE company_id = $1 AND name = 'Movie News'", *id);
  const auto group = existing.empty() ? store::create_group(w, *id, shared, "Movie News")
                                      : existing[0][0].as<store::id>();
  const auto number_row = w.exec_params("SELECT id FROM numbers WHERE number = '4040'");
  const auto number = number_row.empty() ? store::add_number(w, *id, "4040", "short_code")
                                         : number_row[0][0].as<store::id>();
  if (w.exec_params("SELECT 1 FROM keywords WHERE number_id = $1 AND keyword = 'MOVIE'", number)
          .empty()) {
    store::add_keyword(
        w, {number, "MOVIE", group,
            "Welcome to Movie News! Weekly film news, max 4 msgs/month. Reply MOVIE STOP to leave, "
            "MOVIE HELP for help.",
            "You have left Movie News. You will get no more Movie News messages.",
            "Movie News: weekly film news. Reply MOVIE STOP to leave. Questions: help@example.com",
            keywords::tail_policy::unmatched});
  }
  w.commit();
  out << "demo ready: group \"Movie News\" (G#" << group << "), number 4040, keyword MOVIE\n";
  return 0;
}

}  // namespace

int run_setup_command(const config::daemon_config& cfg, const std::vector<std::string>& args,
                      std::istream& in, std::ostream& out) {
  const auto opts = options(args);
  if (args.empty() || !opts || !opts->contains("company")) {
    std::cerr << "smsgwd: expected `bootstrap --company NAME --admin USERNAME` or `demo --company "
                 "NAME`\n";
    return 2;
  }
  pqxx::connection c(store::with_connect_timeout(cfg.db.dsn, cfg.db.connect_timeout));
  store::migrate(c);
  if (args[0] == "bootstrap" && opts->contains("admin")) {
    return bootstrap(c, opts->at("company"), opts->at("admin"), in, out);
  }
  if (args[0] == "demo") return demo(c, opts->at("company"), out);
  std::cerr << "smsgwd: unknown command " << args[0] << "\n";
  return 2;
}

}  // namespace smsgw::daemon
