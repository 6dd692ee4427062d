// The ESME session against the simulator over loopback: binds, refusals, drops, half-open
// links, a peer that never reads, throttling, windows, bind pairs and TLS.
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "smpp/codec.hpp"
#include "smpp/session.hpp"
#include "tests/support/certificate.hpp"
#include "tests/support/harness.hpp"
#include "tools/smsc_sim/smsc.hpp"

namespace smsgw {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using smpp::session;
using smpp::submit_result;
using testing::harness;

// An io_context thread with one simulator and the sessions a test adds.
class loopback {
 public:
  explicit loopback(sim::smsc_options options = {}) : work_(net::make_work_guard(io_)) {
    sim_ = std::make_shared<sim::smsc>(io_.get_executor(), std::move(options));
    sim_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~loopback() {
    net::co_spawn(
        io_,
        [this]() -> net::awaitable<void> {
          for (auto& s : sessions_) co_await s->stop(200ms);
          sim_->stop();
        },
        net::use_future)
        .wait_for(5s);
    work_.reset();
    io_.stop();
    thread_.join();
  }
  loopback(const loopback&) = delete;
  loopback& operator=(const loopback&) = delete;

  smpp::session_options options(smpp::bind_type type = smpp::bind_type::transceiver) {
    smpp::session_options o;
    o.name = "sim";
    o.type = type;
    o.host = "127.0.0.1";
    o.port = sim_->port();
    o.system_id = "smsgw";
    o.password = "secret";
    o.response_timeout = 1s;
    o.reconnect_initial = 50ms;
    o.reconnect_max = 200ms;
    o.throttle_initial = 100ms;
    o.throttle_max = 400ms;
    return o;
  }

  std::shared_ptr<session> start(smpp::session_options o, smpp::deliver_handler h = nullptr) {
    if (!h) {
      h = [this](const smpp::sm_body&) -> net::awaitable<std::uint32_t> {
        ++delivered;
        co_return smpp::status::ok;
      };
    }
    auto s = std::make_shared<session>(io_.get_executor(), std::move(o), std::move(h));
    net::post(io_, [this, s] {
      sessions_.push_back(s);
      s->start();
    });
    return s;
  }

  template <class F>
  auto on_io(F f) {
    return net::co_spawn(
               io_, [f]() -> net::awaitable<decltype(f())> { co_return f(); }, net::use_future)
        .get();
  }

  std::future<submit_result> submit(const std::shared_ptr<session>& s,
                                    const std::string& from = "4040",
                                    const std::string& to = "61400000001",
                                    std::chrono::steady_clock::time_point deadline =
                                        std::chrono::steady_clock::time_point::max()) {
    return net::co_spawn(
        io_,
        [s, from, to, deadline]() -> net::awaitable<submit_result> {
          smpp::sm_body b;
          b.source = {0, 1, from};
          b.destination = {1, 1, to};
          b.short_message = "hello";
          co_return co_await s->submit(b, deadline);
        },
        net::use_future);
  }

  bool bound(const std::shared_ptr<session>& s) {
    return on_io([s] { return s->state() == smpp::session_state::bound; });
  }

  /// A transceiver with `window`, once bound (nullptr if it never binds).
  std::shared_ptr<session> start_bound(std::uint32_t window) {
    auto o = options();
    o.window = window;
    auto s = start(o);
    return harness::eventually([&] { return bound(s); }) ? s : nullptr;
  }

  sim::smsc& sim() { return *sim_; }
  net::io_context& io() { return io_; }
  std::atomic<int> delivered{0};

 private:
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::shared_ptr<sim::smsc> sim_;
  std::vector<std::shared_ptr<session>> sessions_;
  std::thread thread_;
};

TEST(SmppSession, BindsAndSubmits) {
  loopback lb;
  auto s = lb.start(lb.options());
  ASSERT_TRUE(harness::eventually([&] { return lb.bound(s); }));
  const auto r = lb.submit(s).get();
  EXPECT_EQ(r.what, submit_result::outcome::accepted);
  EXPECT_EQ(r.message_id, "1000");
  EXPECT_EQ(lb.sim().submits().at(0).text, "hello");
}

TEST(SmppSession, RefusedBindIsRetriedWithBackoffAndNeverReportsBound) {
  sim::smsc_options o;
  o.refuse_binds = smpp::status::bind_failed;
  loopback lb(o);
  auto s = lb.start(lb.options());
  ASSERT_TRUE(harness::eventually([&] { return lb.sim().binds_refused() >= 3; }, 5s));
  EXPECT_FALSE(lb.bound(s));
  EXPECT_EQ(lb.sim().binds_accepted(), 0U);
}

TEST(SmppSession, WrongPasswordIsRefused) {
  sim::smsc_options o;
  o.system_id = "smsgw";
  o.password = "other";
  loopback lb(o);
  auto s = lb.start(lb.options());
  ASSERT_TRUE(harness::eventually([&] { return lb.sim().binds_refused() >= 1; }));
  EXPECT_FALSE(lb.bound(s));
}

// Written but never answered: they may have reached the SMSC, and the caller is told so.
TEST(SmppSession, DroppedLinkHandsOutstandingSubmitsBackAsUnansweredAndReconnects) {
  sim::smsc_options o;
  o.response_delay = 2s;  // the submits are outstanding when the link drops
  o.drop_after_pdus = 3;  // bind + two submits
  loopback lb(o);
  auto s = lb.start(lb.options());
  ASSERT_TRUE(harness::eventually([&] { return lb.bound(s); }));
  auto a = lb.submit(s);
  auto b = lb.submit(s);
  EXPECT_EQ(a.get().what, submit_result::outcome::unanswered);
  EXPECT_EQ(b.get().what, submit_result::outcome::unanswered);
  ASSERT_TRUE(harness::eventually([&] { return lb.sim().binds_accepted() == 2 && lb.bound(s); }));
  EXPECT_EQ(lb.on_io([s] { return s->outstanding(); }), 0U);
}

// A peer that keeps sending but never reads: the session stops reading once its write
// queue is full (so the queue stays bounded), and drops the link when a write cannot finish
// within the response timeout.
TEST(SmppSession, APeerThatSendsButNeverReadsIsDropped) {
  using net::ip::tcp;
  net::io_context peer_io;
  tcp::acceptor acceptor(peer_io, {net::ip::make_address("127.0.0.1"), 0});
  std::atomic<std::uint64_t> sent{0};
  std::thread peer([&] {
    tcp::socket sock(peer_io);
    acceptor.accept(sock);
    std::array<std::uint8_t, 4096> bind{};
    boost::system::error_code ec;
    const auto n = net::read(sock, net::buffer(bind, smpp::header_size), ec);
    const auto h = smpp::read_header(std::span(bind).first(n));
    net::read(sock, net::buffer(bind.data() + n, h.length - n), ec);
    net::write(
        sock,
        net::buffer(smpp::encode(smpp::pdu{smpp::command::bind_transceiver_resp, smpp::status::ok,
                                           h.sequence, smpp::bind_resp_body{"peer", {}}})),
        ec);
    // Then enquire_links, as fast as the socket takes them, and never a read.
    std::vector<std::uint8_t> flood;
    for (std::uint32_t i = 1; i <= 1024; ++i) {
      const auto one = smpp::encode(
          smpp::pdu{smpp::command::enquire_link, smpp::status::ok, i, smpp::empty_body{}});
      flood.insert(flood.end(), one.begin(), one.end());
    }
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (!ec && std::chrono::steady_clock::now() < until) {
      sent += net::write(sock, net::buffer(flood), ec);
    }
  });
  loopback lb;
  auto o = lb.options();
  o.port = acceptor.local_endpoint().port();
  auto s = lb.start(o);
  ASSERT_TRUE(harness::eventually([&] { return lb.bound(s); }));
  // The write deadline (1 s here) ends it, once the peer's buffers are full.
  EXPECT_TRUE(harness::eventually([&] { return !lb.bound(s); }, 20s));
  peer.join();  // its writes fail once the link is closed
  EXPECT_GT(sent.load(), 1'000'000U);
}

TEST(SmppSession, HalfOpenLinkIsDetectedByEnquireLinkAndRebound) {
  loopback lb;
  auto o = lb.options();
  o.enquire_link_interval = 200ms;
  o.response_timeout = 300ms;
  auto s = lb.start(o);
  ASSERT_TRUE(harness::eventually([&] { return lb.bound(s); }));
  lb.on_io([&] {
    lb.sim().freeze(true);
    return 0;
  });
  ASSERT_TRUE(harness::eventually([&] { return !lb.bound(s); }, 3s));
  lb.on_io([&] {
    lb.sim().freeze(false);
    return 0;
  });
  ASSERT_TRUE(harness::eventually([&] { return lb.bound(s); }, 5s));
  EXPECT_GE(lb.sim().binds_accepted(), 2U);
}

TEST(SmppSession, ThrottlingPausesTheBindAndTheSubmitStillGoesThrough) {
  sim::smsc_options o;
  o.submit_status = smpp::status::throttled;
  o.submit_status_count = 2;
  loopback lb(o);
  auto s = lb.start(lb.options());
  ASSERT_TRUE(harness::eventually([&] { return lb.bound(s); }));
  const auto started = std::chrono::steady_clock::now();
  const auto r = lb.submit(s).get();
  EXPECT_EQ(r.what, submit_result::outcome::accepted);
  EXPECT_EQ(lb.sim().submits_refused(), 2U);
  // Two pauses, 100 ms then 200 ms, before the third try.
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
}

TEST(SmppSession, PersistentThrottlingIsHandedBackAsTemporary) {
  sim::smsc_options o;
  o.submit_status = smpp::status::message_queue_full;
  loopback lb(o);
  auto opts = lb.options();
  opts.throttle_retries = 2;
  auto s = lb.start(opts);
  ASSERT_TRUE(harness::eventually([&] { return lb.bound(s); }));
  const auto r = lb.submit(s).get();
  EXPECT_EQ(r.what, submit_result::outcome::rejected);
  EXPECT_EQ(r.status, smpp::status::message_queue_full);
  EXPECT_TRUE(smpp::is_temporary(r.status));
}

TEST(SmppSession, PermanentStatusIsReportedWithTheSmscsCode) {
  sim::smsc_options o;
  o.submit_status = 0x00000401;  // vendor-specific
  loopback lb(o);
  auto s = lb.start(lb.options());
  ASSERT_TRUE(harness::eventually([&] { return lb.bound(s); }));
  const auto r = lb.submit(s).get();
  EXPECT_EQ(r.what, submit_result::outcome::rejected);
  EXPECT_EQ(r.status, 0x401U);
  EXPECT_EQ(smpp::status_name(r.status), "0x00000401");
  EXPECT_FALSE(smpp::is_temporary(r.status));
}

TEST(SmppSession, WindowBoundsOutstandingRequests) {
  sim::smsc_options o;
  o.response_delay = 100ms;
  loopback lb(o);
  auto s = lb.start_bound(2);
  ASSERT_TRUE(s);
  std::vector<std::future<submit_result>> all;
  for (int i = 0; i < 6; ++i) all.push_back(lb.submit(s));
  std::size_t most = 0;
  harness::eventually([&] {
    most = std::max(most, lb.on_io([s] { return s->outstanding(); }));
    return lb.sim().submits().size() == 6;
  });
  for (auto& f : all) EXPECT_EQ(f.get().what, submit_result::outcome::accepted);
  EXPECT_LE(most, 2U);
  EXPECT_GE(most, 1U);
}

TEST(SmppSession, WaitingSubmitsGetTheWindowInTheOrderTheyAsked) {
  loopback lb;
  auto s = lb.start_bound(2);
  ASSERT_TRUE(s);
  // Hundreds wait on a window of two: each freed slot goes to the longest waiter.
  constexpr int count = 300;
  std::vector<std::future<submit_result>> all;
  for (int i = 0; i < count; ++i)
    all.push_back(lb.submit(s, "4040", std::to_string(61400000000 + i)));
  for (auto& f : all) ASSERT_EQ(f.get().what, submit_result::outcome::accepted);
  const auto seen = lb.sim().submits();
  ASSERT_EQ(seen.size(), std::size_t{count});
  for (int i = 0; i < count; ++i) {
    EXPECT_EQ(seen[static_cast<std::size_t>(i)].destination, std::to_string(61400000000 + i));
  }
}

TEST(SmppSession, ASubmitWhoseDeadlinePassesWhileWaitingLeavesItsPlaceInLine) {
  sim::smsc_options o;
  o.response_delay = 300ms;
  loopback lb(o);
  auto s = lb.start_bound(1);
  ASSERT_TRUE(s);
  auto first = lb.submit(s, "4040", "61400000001");
  auto hurried = lb.submit(s, "4040", "61400000002", std::chrono::steady_clock::now() + 100ms);
  auto patient = lb.submit(s, "4040", "61400000003");
  EXPECT_EQ(hurried.get().what, submit_result::outcome::not_sent);
  EXPECT_EQ(first.get().what, submit_result::outcome::accepted);
  EXPECT_EQ(patient.get().what, submit_result::outcome::accepted);
  const auto seen = lb.sim().submits();
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[1].destination, "61400000003");
}

TEST(SmppSession, PerSenderRateSpacesOneSenderButNotOthers) {
  loopback lb;
  auto opts = lb.options();
  opts.throughput_per_sender = 5;  // one every 200 ms per sender
  auto s = lb.start(opts);
  ASSERT_TRUE(harness::eventually([&] { return lb.bound(s); }));
  auto started = std::chrono::steady_clock::now();
  std::vector<std::future<submit_result>> same;
  for (int i = 0; i < 3; ++i) same.push_back(lb.submit(s, "4040"));
  for (auto& f : same) EXPECT_EQ(f.get().what, submit_result::outcome::accepted);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 400ms);
}

TEST(SmppSession, ReceiverTransmitterPairSplitsTraffic) {
  loopback lb;
  auto rx = lb.start(lb.options(smpp::bind_type::receiver));
  auto tx = lb.start(lb.options(smpp::bind_type::transmitter));
  ASSERT_TRUE(harness::eventually([&] { return lb.bound(rx) && lb.bound(tx); }));
  EXPECT_EQ(lb.submit(tx).get().what, submit_result::outcome::accepted);
  EXPECT_EQ(lb.submit(rx).get().what,
            submit_result::outcome::not_sent);  // a receiver cannot submit
  const auto r = net::co_spawn(
                     lb.io(),
                     [&]() -> net::awaitable<sim::deliver_result> {
                       co_return co_await lb.sim().deliver("+61400000001", "4040", "MOVIE");
                     },
                     net::use_future)
                     .get();
  EXPECT_TRUE(r.answered);
  EXPECT_EQ(lb.delivered.load(), 1);
}

TEST(SmppSession, TlsWithAVerifiedCertificateBindsAndAWrongNameDoesNot) {
  const testing::test_certificate cert;
  ASSERT_TRUE(cert.ok()) << "openssl could not make a certificate";
  sim::smsc_options o;
  o.tls_certificate = cert.certificate().string();
  o.tls_key = cert.key().string();
  loopback lb(o);

  auto good = lb.options();
  good.tls = smpp::tls_options{cert.certificate().string(), "localhost", true};
  auto s = lb.start(good);
  ASSERT_TRUE(harness::eventually([&] { return lb.bound(s); }));
  EXPECT_EQ(lb.submit(s).get().what, submit_result::outcome::accepted);

  auto wrong = lb.options();
  wrong.name = "wrong";
  wrong.tls = smpp::tls_options{cert.certificate().string(), "smsc.example.net", true};
  auto w = lb.start(wrong);
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(lb.bound(w));
  EXPECT_EQ(lb.sim().binds_accepted(), 1U);
}

}  // namespace
}  // namespace smsgw
