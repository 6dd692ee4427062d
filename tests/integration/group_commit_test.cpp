// Group commit against a real PostgreSQL: pieces of work that arrive together share a
// transaction, each caller resumes only after the commit that holds its work, and a piece
// that fails fails alone.
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "store/group_commit.hpp"
#include "store/runner.hpp"
#include "tests/support/pg.hpp"

namespace smsgw {
namespace {

namespace net = boost::asio;
using testing::test_database;

// Each piece inserts its number and the transaction it ran in.
void create_table(const test_database& db) {
  auto c = db.connect();
  pqxx::work w(c);
  w.exec0("CREATE TABLE pieces (n int PRIMARY KEY, tx bigint NOT NULL)");
  w.commit();
}

struct outcome {
  bool ok = false;
  bool seen_at_resume = false;  // the piece's row was visible to another connection then
  std::string error;
};

// Runs `count` pieces through one group_commit, all submitted before any runs; piece
// `bad` (if any) divides by zero after inserting its row.
std::vector<outcome> run_pieces(const test_database& db, store::group_commit_options options,
                                int count, int bad = -1,
                                store::group_commit::counters* stats = nullptr) {
  net::io_context io;
  store::db_runner runner(db.dsn(), 2);
  store::group_commit commits(io.get_executor(), runner, std::move(options));
  pqxx::connection observer(db.dsn());
  std::vector<outcome> outcomes(static_cast<std::size_t>(count));
  std::vector<store::group_commit::work> works;
  works.reserve(outcomes.size());
  for (int i = 0; i < count; ++i) {
    works.emplace_back([i, bad](pqxx::transaction_base& t) {
      t.exec_params0("INSERT INTO pieces VALUES ($1, txid_current())", i);
      if (i == bad) t.exec("SELECT 1 / 0");
    });
  }
  for (int i = 0; i < count; ++i) {
    net::co_spawn(
        io,
        [&, i]() -> net::awaitable<void> {
          auto& o = outcomes[static_cast<std::size_t>(i)];
          try {
            co_await commits.run(works[static_cast<std::size_t>(i)]);
            o.ok = true;
          } catch (const std::exception& e) {
            o.error = e.what();
          }
          pqxx::read_transaction r(observer);
          o.seen_at_resume =
              r.exec_params1("SELECT count(*) FROM pieces WHERE n = $1", i)[0].as<int>() == 1;
        },
        net::detached);
  }
  io.run();
  if (stats != nullptr) *stats = commits.stats();
  runner.stop();
  return outcomes;
}

store::group_commit_options options(std::size_t max_batch, std::size_t max_in_flight) {
  store::group_commit_options o;
  o.max_batch = max_batch;
  o.max_in_flight = max_in_flight;
  return o;
}

// Pieces per transaction, by transaction.
std::map<std::string, int> pieces_by_transaction(const test_database& db) {
  auto c = db.connect();
  pqxx::read_transaction r(c);
  std::map<std::string, int> by_tx;
  for (const auto& row : r.exec("SELECT tx::text, count(*) FROM pieces GROUP BY tx")) {
    by_tx[row[0].as<std::string>()] = row[1].as<int>();
  }
  return by_tx;
}

TEST(GroupCommit, PiecesThatArriveTogetherShareOneTransaction) {
  test_database db;
  create_table(db);
  store::group_commit::counters stats;
  const auto outcomes = run_pieces(db, options(100, 1), 50, -1, &stats);
  for (const auto& o : outcomes) {
    EXPECT_TRUE(o.ok) << o.error;
    EXPECT_TRUE(o.seen_at_resume);  // resumed only once its transaction had committed
  }
  const auto by_tx = pieces_by_transaction(db);
  int total = 0;
  for (const auto& [tx, n] : by_tx) total += n;
  EXPECT_EQ(total, 50);
  EXPECT_LE(by_tx.size(), 2U) << "50 pieces submitted together, one transaction at a time";
  EXPECT_GE(stats.batches, 1U);
  EXPECT_EQ(stats.fallbacks, 0U);
}

TEST(GroupCommit, ABatchHoldsAtMostBatchSizePieces) {
  test_database db;
  create_table(db);
  const auto outcomes = run_pieces(db, options(10, 2), 95);
  for (const auto& o : outcomes) EXPECT_TRUE(o.ok) << o.error;
  const auto by_tx = pieces_by_transaction(db);
  EXPECT_GE(by_tx.size(), 10U);
  for (const auto& [tx, n] : by_tx) EXPECT_LE(n, 10) << "transaction " << tx;
}

TEST(GroupCommit, WhatWaitsIsSharedByEveryFreeTransactionSlot) {
  // An SMSC's whole window arriving at once must not sit in one transaction while the
  // other slot idles: each of two slots takes half.
  test_database db;
  create_table(db);
  const auto outcomes = run_pieces(db, options(100, 2), 50);
  for (const auto& o : outcomes) EXPECT_TRUE(o.ok) << o.error;
  const auto by_tx = pieces_by_transaction(db);
  int total = 0;
  for (const auto& [tx, n] : by_tx) {
    total += n;
    EXPECT_LE(n, 25) << "transaction " << tx;
  }
  EXPECT_EQ(total, 50);
}

TEST(GroupCommit, ASmallWindowGoesInOneTransactionNotTwoHalfEmptyOnes) {
  // Ten MOs (an SMSC window of 10) in two transactions of five cost more than in one of ten:
  // a second transaction starts only for min_concurrent_batch waiting pieces.
  test_database db;
  create_table(db);
  const auto outcomes = run_pieces(db, options(100, 2), 10);
  for (const auto& o : outcomes) EXPECT_TRUE(o.ok) << o.error;
  const auto by_tx = pieces_by_transaction(db);
  ASSERT_EQ(by_tx.size(), 1U);
  EXPECT_EQ(by_tx.begin()->second, 10);
}

TEST(GroupCommit, AFewPiecesGetTheFreeSlotWhenTheRunningTransactionIsSlow) {
  // A transaction waiting on a lock (here: sleeping 0.6 s) must not hold back three MOs that
  // arrive meanwhile: below min_concurrent_batch, they still get the free slot once it has
  // run slow_transaction.
  test_database db;
  create_table(db);
  net::io_context io;
  store::db_runner runner(db.dsn(), 2);
  store::group_commit commits(io.get_executor(), runner, options(100, 2));
  std::vector<int> finished;
  const store::group_commit::work slow = [](pqxx::transaction_base& t) {
    t.exec("SELECT pg_sleep(0.6)");
    t.exec0("INSERT INTO pieces VALUES (0, txid_current())");
  };
  std::vector<store::group_commit::work> quick;
  for (int i = 1; i <= 3; ++i) {
    quick.emplace_back([i](pqxx::transaction_base& t) {
      t.exec_params0("INSERT INTO pieces VALUES ($1, txid_current())", i);
    });
  }
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        co_await commits.run(slow);
        finished.push_back(0);
      },
      net::detached);
  net::steady_timer later(io, std::chrono::milliseconds(100));
  later.async_wait([&](const boost::system::error_code&) {
    for (int i = 1; i <= 3; ++i) {
      net::co_spawn(
          io,
          [&, i]() -> net::awaitable<void> {
            co_await commits.run(quick[static_cast<std::size_t>(i - 1)]);
            finished.push_back(i);
          },
          net::detached);
    }
  });
  io.run();
  runner.stop();
  ASSERT_EQ(finished.size(), 4U) << ::testing::PrintToString(finished);
  EXPECT_EQ(finished.back(), 0) << "the three waited for the slow transaction";
}

TEST(GroupCommit, APieceThatFailsFailsAloneAndTheOthersCommit) {
  test_database db;
  create_table(db);
  store::group_commit::counters stats;
  const auto outcomes = run_pieces(db, options(100, 1), 30, 17, &stats);
  for (int i = 0; i < 30; ++i) {
    const auto& o = outcomes[static_cast<std::size_t>(i)];
    if (i == 17) {
      EXPECT_FALSE(o.ok);
      EXPECT_NE(o.error.find("division by zero"), std::string::npos) << o.error;
      EXPECT_FALSE(o.seen_at_resume);  // its insert went with its transaction
    } else {
      EXPECT_TRUE(o.ok) << i << ": " << o.error;
      EXPECT_TRUE(o.seen_at_resume) << i;
    }
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pieces"), "29");
  EXPECT_EQ(stats.fallbacks, 1U);
}

TEST(GroupCommit, ABatchWhoseCommonStepFailsIsHalvedUntilTheBadPieceIsAlone) {
  // before_commit fails for any transaction that holds piece 21: no piece threw, so the
  // batch is halved until 21 is alone; the others still commit, and still together.
  test_database db;
  create_table(db);
  auto o = options(100, 1);
  o.before_commit = [](pqxx::transaction_base& t) {
    t.exec("SELECT 1 / (count(*) - 1) FROM pieces WHERE n = 21 AND tx = txid_current()");
  };
  store::group_commit::counters stats;
  const auto outcomes = run_pieces(db, o, 40, -1, &stats);
  for (int i = 0; i < 40; ++i) {
    const auto& r = outcomes[static_cast<std::size_t>(i)];
    EXPECT_EQ(r.ok, i != 21) << i << ": " << r.error;
    EXPECT_EQ(r.seen_at_resume, i != 21) << i;
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pieces"), "39");
  // 40 -> 20 + 20 -> 10 + 10 -> 5 + 5 -> 2 + 3 -> 1 + 2 -> 21 alone: a handful of
  // transactions, not 39.
  EXPECT_LE(pieces_by_transaction(db).size(), 8U);
  EXPECT_GE(stats.fallbacks, 1U);
}

TEST(GroupCommit, AStoreThatIsDownFailsEveryPieceAndNothingHangs) {
  net::io_context io;
  store::db_runner runner("host=127.0.0.1 port=1 connect_timeout=2", 1);
  store::group_commit commits(io.get_executor(), runner, options(100, 1));
  const store::group_commit::work nothing = [](pqxx::transaction_base&) {};
  int failed = 0;
  for (int i = 0; i < 5; ++i) {
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
          try {
            co_await commits.run(nothing);
          } catch (const pqxx::broken_connection&) {
            ++failed;
          }
        },
        net::detached);
  }
  io.run();
  runner.stop();
  EXPECT_EQ(failed, 5);
}

}  // namespace
}  // namespace smsgw
