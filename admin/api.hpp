// The admin API: every route of docs/openapi.yaml (API.md), with authentication, access
// checks in the store, JSON errors, per-route metrics and the ops endpoints. The transport
// (admin::server) hands it each request; store work runs on the API's database threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "admin/http.hpp"

namespace smsgw::store {
class db_runner;
}  // namespace smsgw::store

namespace smsgw::admin {

/// What the daemon tells the ops endpoints.
struct ops_hooks {
  std::function<std::string()> binds_json;  ///< JSON array: [{"name": ..., "state": ...}]
  std::function<bool()> binds_ready;        ///< every bind bound
  std::function<std::string()> metrics;     ///< the daemon's own Prometheus lines
};

/// The API's settings.
struct api_options {
  std::string default_region = "US";  ///< for national numbers
  std::size_t max_imports = 1;        ///< imports running at once (each holds a connection)
};

/// The OpenAPI 3 document (docs/openapi.yaml), embedded at build time.
extern const std::string_view openapi_yaml;

class api {
 public:
  /// Uses `db` for store work; `ex` runs the store probe behind /readyz.
  api(const boost::asio::any_io_executor& ex, store::db_runner& db, api_options options,
      ops_hooks hooks);
  ~api();
  api(const api&) = delete;
  api& operator=(const api&) = delete;

  /// Answers one request.
  boost::asio::awaitable<http_response> handle(const http_request& r);

  /// Whether `method target` is a route that takes an upload (the transport spools its body:
  /// server_options::takes_upload).
  [[nodiscard]] bool takes_upload(std::string_view method, std::string_view target) const;

  /// Starts probing the store every second (for /readyz); stop() ends it.
  void start();
  void stop();

  /// Whether a store probe succeeded within the last few seconds.
  [[nodiscard]] bool store_reachable() const;

  /// Every routed method and pattern (`GET`, `/api/v1/contacts/{id}`), for the OpenAPI check.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace smsgw::admin
