// Wakes the daemon when PostgreSQL NOTIFYs a channel: one dedicated connection that LISTENs,
// its socket watched by the io thread (never a blocking wait), connected on its own thread
// and reconnected with backoff when it breaks. Notifications coalesce: a handler learns that
// something changed, and re-reads; after every (re)connection it is called once too, for
// what may have changed while nobody listened.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace smsgw::store {

namespace net = boost::asio;

class listener : public std::enable_shared_from_this<listener> {
 public:
  /// Called on the executor with the channel that was notified (or every channel, after a
  /// reconnection).
  using handler = std::function<void(const std::string& channel)>;

  listener(net::any_io_executor ex, std::string dsn, std::vector<std::string> channels,
           handler on_notify);
  ~listener();
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  /// Starts listening; keeps the connection up until stop().
  void start();
  /// Stops listening and waits until nothing of it runs any more: a connection attempt in
  /// progress is waited for (its completion must not outlive the executor).
  net::awaitable<void> stop();
  /// True while LISTENing (for tests and /readyz).
  [[nodiscard]] bool listening() const { return listening_; }

 private:
  struct impl;
  net::awaitable<void> run();

  net::any_io_executor executor_;
  std::string dsn_;
  std::vector<std::string> channels_;
  handler on_notify_;
  bool stopping_ = false;
  bool running_ = false;
  bool listening_ = false;
  std::unique_ptr<impl> impl_;
};

}  // namespace smsgw::store
