// An HTTP/1.1 client for the admin API tests: one keep-alive connection (plain or TLS) to a
// loopback port, JSON in and out, and raw byte exchanges for the hostile-input tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace smsgw::testing {

/// One answer.
struct http_result {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  [[nodiscard]] nlohmann::json json() const { return nlohmann::json::parse(body); }
};

class http_client {
 public:
  /// Plain HTTP; with `ca_file`, HTTPS verifying the server's certificate against it for the
  /// name `localhost`.
  explicit http_client(std::uint16_t port, const std::string& ca_file = "");
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends every later request with HTTP Basic credentials.
  void basic(const std::string& username, const std::string& password);
  /// Sends every later request with `Authorization: Bearer token`.
  void bearer(const std::string& token);
  /// Sends no Authorization header.
  void anonymous() { authorization_.clear(); }
  /// Sends header `name` with every later request (an empty value: no longer).
  void header(const std::string& name, const std::string& value) {
    std::erase_if(headers_, [&](const auto& h) { return h.first == name; });
    if (!value.empty()) headers_.emplace_back(name, value);
  }

  /// One request on the kept-alive connection (reconnecting when the server closed it).
  http_result request(const std::string& method, const std::string& target,
                      const std::string& body = "",
                      const std::string& content_type = "application/json");
  http_result get(const std::string& target) { return request("GET", target); }
  http_result post(const std::string& target, const nlohmann::json& body) {
    return request("POST", target, body.dump());
  }
  http_result patch(const std::string& target, const nlohmann::json& body) {
    return request("PATCH", target, body.dump());
  }
  http_result put(const std::string& target, const nlohmann::json& body) {
    return request("PUT", target, body.dump());
  }
  http_result del(const std::string& target) { return request("DELETE", target); }

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string authorization_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

/// The value of one series (`name{labels}` exactly as written) in the daemon's /metrics on
/// `admin_port`; -1 when it is not there.
double metric(std::uint16_t admin_port, const std::string& series);

/// Connects to `port`, writes `bytes`, and returns everything read until the server closes
/// the connection or `wait` passes.
std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds wait = std::chrono::seconds(5));

}  // namespace smsgw::testing
