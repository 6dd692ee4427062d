#include "smpp/connection.hpp"
#include "logging/component.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace smsgw::smpp {
namespace {

spdlog::logger& log() {
  static const auto logger = logging::component("smpp");
  return *logger;
}

using clock = connection::clock;
constexpr auto forever = clock::time_point::max();
/// Largest single write: each must end within the write timeout, also on a slow link.
constexpr std::size_t max_write = std::size_t{64} * 1024;
/// Free space offered to each socket read.
constexpr std::size_t read_chunk = std::size_t{16} * 1024;

// Waits on a timer used as a signal; an error (cancel) is the normal wake-up.
net::awaitable<boost::system::error_code> wait(net::steady_timer& t) {
  boost::system::error_code ec;
  co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
  co_return ec;
}

}  // namespace

connection::connection(net::ip::tcp::socket socket, std::chrono::milliseconds write_timeout,
                       std::string name)
    : io_(std::move(socket)),
      write_timeout_(write_timeout),
      name_(std::move(name)),
      write_signal_(io_.socket.get_executor(), forever),
      write_deadline_(io_.socket.get_executor(), forever),
      hold_(io_.socket.get_executor()) {}

connection::~connection() = default;

void connection::start(const std::shared_ptr<connection>& self) {
  const auto ex = self->io_.socket.get_executor();
  net::co_spawn(
      ex, [self] { return self->write_loop(); }, net::detached);
  net::co_spawn(
      ex, [self] { return self->watch_writes(); }, net::detached);
}

void connection::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  io_.socket.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  io_.socket.close(ignored);
  write_signal_.cancel();
  write_deadline_.cancel();
  hold_.cancel();
}

void connection::send(const pdu& p) {
  if (closed_) return;
  send_bytes(encode(p));
}

void connection::send_bytes(std::vector<std::uint8_t> bytes) {
  if (closed_) return;
  queued_bytes_ += bytes.size();
  queue_.push_back(std::move(bytes));
  write_signal_.cancel();
}

net::awaitable<inbound> connection::read(const std::function<bool()>& hold) {
  for (;;) {
    const auto buffered =
        std::span<const std::uint8_t>(buffer_).subspan(consumed_, filled_ - consumed_);
    const auto f = check_frame(buffered);
    if (f.state == frame_state::malformed) {
      // Never allocate for a length we will not accept: the link is closed.
      close();
      co_return inbound{
          inbound::kind::closed, {}, {}, fmt::format("malformed frame, command_length={}", f.size)};
    }
    if (f.state == frame_state::complete) {
      auto decoded = decode(buffered.first(f.size));
      consumed_ += f.size;
      last_received_ = clock::now();
      if (decoded) co_return inbound{inbound::kind::pdu, std::move(*decoded), {}, {}};
      co_return inbound{inbound::kind::undecodable, {}, std::move(decoded.error()), {}};
    }
    if (closed_) co_return inbound{};
    // Keep the unread bytes at the front, with room for one more read behind them.
    if (consumed_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + consumed_, filled_ - consumed_);
      filled_ -= consumed_;
      consumed_ = 0;
    }
    while ((congested() || (hold && hold())) && !closed_) {
      // Back-pressure: stop reading until the writer (or the owner) catches up.
      hold_.expires_after(std::chrono::milliseconds(5));
      co_await wait(hold_);
    }
    if (closed_) co_return inbound{};
    if (buffer_.size() < filled_ + read_chunk) buffer_.resize(filled_ + read_chunk);
    boost::system::error_code ec;
    const auto n =
        co_await io_.read_some(net::buffer(buffer_.data() + filled_, buffer_.size() - filled_), ec);
    if (ec) {
      const bool by_us = closed_;
      close();
      co_return inbound{inbound::kind::closed, {}, {}, by_us ? std::string() : ec.message()};
    }
    filled_ += n;
  }
}

net::awaitable<void> connection::write_loop() {
  std::vector<std::uint8_t> batch;
  while (!closed_) {
    if (queue_.empty()) {
      co_await wait(write_signal_);
      continue;
    }
    // What is queued goes out in one write (fewer syscalls under load), up to max_write.
    batch.clear();
    while (!queue_.empty() && batch.size() < max_write) {
      batch.insert(batch.end(), queue_.front().begin(), queue_.front().end());
      queue_.pop_front();
    }
    boost::system::error_code ec;
    writing_ = true;
    write_deadline_.expires_after(write_timeout_);
    co_await io_.write(net::buffer(batch), ec);
    writing_ = false;
    queued_bytes_ -= batch.size();
    write_deadline_.expires_at(forever);
    if (ec) {
      if (!closed_) log().warn("write failed bind={} error=\"{}\"", name_, ec.message());
      close();
    }
  }
}

net::awaitable<void> connection::watch_writes() {
  while (!closed_) {
    const auto ec = co_await wait(write_deadline_);
    // The deadline of the write in progress (a write finishing as the timer fires and the
    // next one starting in the same turn re-arms it: not passed then).
    if (!ec && writing_ && !closed_ && clock::now() >= write_deadline_.expiry()) {
      log().error(
          "write deadline passed, peer not reading, dropping link bind={} queued_bytes={} "
          "timeout_ms={}",
          name_, queued_bytes_, write_timeout_.count());
      close();
    }
  }
}

}  // namespace smsgw::smpp
