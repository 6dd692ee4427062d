#include "store/listener.hpp"
#include "logging/component.hpp"

#include <unistd.h>

#include <algorithm>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace smsgw::store {
namespace {

spdlog::logger& log() {
  static const auto logger = logging::component("listener");
  return *logger;
}

// LISTENs to one channel (in its constructor) and passes each notification on.
class receiver final : public pqxx::notification_receiver {
 public:
  receiver(pqxx::connection_base& c, const std::string& channel, const listener::handler& on_notify)
      : pqxx::notification_receiver(c, channel), on_notify_(on_notify) {}
  void operator()(const std::string& /*payload*/, int /*backend_pid*/) override {
    on_notify_(channel());
  }

 private:
  const listener::handler& on_notify_;
};

}  // namespace

struct listener::impl {
  explicit impl(const net::any_io_executor& ex) : backoff(ex), socket(ex) {}
  net::thread_pool connector{1};  // connecting and LISTEN block: never on the io thread
  net::steady_timer backoff;
  net::posix::stream_descriptor socket;
  std::unique_ptr<pqxx::connection> connection;
  std::vector<std::unique_ptr<receiver>> receivers;

  void close() {
    boost::system::error_code ignored;
    socket.close(ignored);
    receivers.clear();
    connection.reset();
  }
};

listener::listener(net::any_io_executor ex, std::string dsn, std::vector<std::string> channels,
                   handler on_notify)
    : executor_(std::move(ex)),
      dsn_(std::move(dsn)),
      channels_(std::move(channels)),
      on_notify_(std::move(on_notify)),
      impl_(std::make_unique<impl>(executor_)) {}

listener::~listener() {
  impl_->connector.join();
  impl_->close();
}

void listener::start() {
  running_ = true;
  net::co_spawn(
      executor_, [self = shared_from_this()] { return self->run(); }, net::detached);
}

net::awaitable<void> listener::stop() {
  auto self = shared_from_this();
  stopping_ = true;
  impl_->backoff.cancel();
  boost::system::error_code ignored;
  impl_->socket.cancel(ignored);
  net::steady_timer poll(executor_);
  while (running_) {
    poll.expires_after(std::chrono::milliseconds(10));
    boost::system::error_code ec;
    co_await poll.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
}

net::awaitable<void> listener::run() {
  auto self = shared_from_this();
  auto& m = *impl_;
  auto pause = std::chrono::milliseconds(250);
  while (!stopping_) {
    try {
      co_await net::co_spawn(
          m.connector.get_executor(),
          [this, &m]() -> net::awaitable<void> {
            m.connection = std::make_unique<pqxx::connection>(dsn_);
        // libpqxx 6 would otherwise reconnect inside get_notifs(), blocking the io thread;
        // a broken link is replaced here, off it. (Deprecated in 6.4, gone with
        // reactivation itself in 7.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
            m.connection->inhibit_reactivation(true);
#pragma GCC diagnostic pop
            for (const auto& channel : channels_) {
              m.receivers.push_back(std::make_unique<receiver>(*m.connection, channel, on_notify_));
            }
            co_return;
          },
          net::use_awaitable);
      m.socket.assign(::dup(m.connection->sock()));
      listening_ = true;
      pause = std::chrono::milliseconds(250);
      log().info("listening channels={}", channels_.size());
      for (const auto& channel : channels_) on_notify_(channel);  // what came while away
      while (!stopping_) {
        boost::system::error_code ec;
        co_await m.socket.async_wait(net::posix::stream_descriptor::wait_read,
                                     net::redirect_error(net::use_awaitable, ec));
        if (ec || stopping_) break;
        // Reads what arrived without blocking, then dispatches; a broken link throws.
        m.connection->get_notifs();
        if (!m.connection->is_open()) break;
      }
    } catch (const std::exception& e) {
      log().warn("listen failed error=\"{}\"", e.what());
    }
    listening_ = false;
    // Dropping the receivers sends UNLISTEN, which blocks (on a half-open link, for long):
    // off the io thread too.
    boost::system::error_code ignored;
    m.socket.close(ignored);
    try {
      co_await net::co_spawn(
          m.connector.get_executor(),
          [&m]() -> net::awaitable<void> {
            m.receivers.clear();
            m.connection.reset();
            co_return;
          },
          net::use_awaitable);
    } catch (const std::exception& e) {
      log().warn("listen connection not closed cleanly error=\"{}\"", e.what());
    }
    if (stopping_) break;
    m.backoff.expires_after(pause);
    boost::system::error_code ec;
    co_await m.backoff.async_wait(net::redirect_error(net::use_awaitable, ec));
    pause = std::min(pause * 2, std::chrono::milliseconds(10000));
  }
  running_ = false;
}

}  // namespace smsgw::store
