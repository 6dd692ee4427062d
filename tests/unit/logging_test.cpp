#include "logging/format.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/details/log_msg.h>

namespace smsgw::logging {
namespace {

using pairs = std::vector<std::pair<std::string, std::string>>;

TEST(SplitFields, MessageThenFieldsInOrder) {
  const auto e = split_fields("state bind=sim from=connecting to=binding");
  EXPECT_EQ(e.message, "state");
  EXPECT_EQ(e.fields, (pairs{{"bind", "sim"}, {"from", "connecting"}, {"to", "binding"}}));
}

TEST(SplitFields, QuotedValuesKeepSpacesAndQuotes) {
  const auto e =
      split_fields(R"(connect failed bind=a error="refused: "x" y" port=1 reason="end")");
  EXPECT_EQ(e.message, "connect failed");
  EXPECT_EQ(
      e.fields,
      (pairs{{"bind", "a"}, {"error", R"(refused: "x" y)"}, {"port", "1"}, {"reason", "end"}}));
}

TEST(SplitFields, UnquotedValueRunsToTheNextField) {
  const auto e = split_fields("x error=connection refused bind=b");
  EXPECT_EQ(e.fields, (pairs{{"error", "connection refused"}, {"bind", "b"}}));
}

TEST(SplitFields, EdgeCasesNeverLoseText) {
  EXPECT_EQ(split_fields("no fields here").message, "no fields here");
  EXPECT_TRUE(split_fields("no fields here").fields.empty());
  EXPECT_EQ(split_fields("").message, "");
  const auto leading = split_fields("k=v");
  EXPECT_EQ(leading.message, "");
  EXPECT_EQ(leading.fields, (pairs{{"k", "v"}}));
  EXPECT_EQ(split_fields("m k=").fields, (pairs{{"k", ""}}));
  EXPECT_EQ(split_fields(" k=v").fields, (pairs{{"k", "v"}}));  // found by fuzz_log_fields
  EXPECT_EQ(split_fields(" k=v").message, "");
  EXPECT_EQ(split_fields(R"(m k="open to the end)").fields, (pairs{{"k", "open to the end"}}));
  EXPECT_EQ(split_fields("m Key=1 =2 9a=3").fields.size(), 0U);  // not keys
  EXPECT_EQ(split_fields("m Key=1 =2 9a=3").message, "m Key=1 =2 9a=3");
}

TEST(JournalPrefix, SyslogPriorities) {
  EXPECT_EQ(journal_prefix(spdlog::level::debug), "<7>");
  EXPECT_EQ(journal_prefix(spdlog::level::info), "<6>");
  EXPECT_EQ(journal_prefix(spdlog::level::warn), "<4>");
  EXPECT_EQ(journal_prefix(spdlog::level::err), "<3>");
  EXPECT_EQ(journal_prefix(spdlog::level::critical), "<2>");
}

std::string formatted(format f, bool journal, spdlog::level::level_enum level,
                      const std::string& text) {
  const auto formatter = make_formatter(f, journal);
  const spdlog::details::log_msg msg("smpp", level, text);
  spdlog::memory_buf_t out;
  formatter->format(msg, out);
  return {out.data(), out.size()};
}

TEST(Formatter, JsonLineIsOneObjectWithTheFields) {
  const auto line = formatted(format::json, false, spdlog::level::warn,
                              "bind failed bind=sim error=\"deadline\" message=clash");
  ASSERT_EQ(line.back(), '\n');
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["component"], "smpp");
  EXPECT_EQ(j["message"], "bind failed");
  EXPECT_EQ(j["bind"], "sim");
  EXPECT_EQ(j["error"], "deadline");
  EXPECT_EQ(j["field_message"], "clash");               // a field never overwrites the envelope
  EXPECT_EQ(j["time"].get<std::string>().size(), 24U);  // 2026-12-02T10:00:00.000Z
}

TEST(Formatter, JsonReplacesInvalidUtf8) {
  const auto line = formatted(format::json, true, spdlog::level::err, "mo text=\xff\xfe");
  ASSERT_EQ(line.rfind("<3>{", 0), 0U) << line;
  EXPECT_EQ(nlohmann::json::parse(line.substr(3))["text"], "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Formatter, JournalTextHasThePriorityAndNoTimestamp) {
  EXPECT_EQ(formatted(format::text, true, spdlog::level::err, "store unavailable in_ms=500"),
            "<3>error [smpp] store unavailable in_ms=500\n");
  const auto terminal = formatted(format::text, false, spdlog::level::info, "ready");
  EXPECT_EQ(terminal.substr(4, 1), "-");  // starts with the date
  EXPECT_NE(terminal.find(" info [smpp] ready\n"), std::string::npos) << terminal;
}

TEST(StderrIsJournal, MatchesDeviceAndInodeOnly) {
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(stderr_is_journal());
  ::setenv("JOURNAL_STREAM", "1:2", 1);
  EXPECT_FALSE(stderr_is_journal());
  ::setenv("JOURNAL_STREAM", "garbage", 1);
  EXPECT_FALSE(stderr_is_journal());
  struct stat st {};
  ASSERT_EQ(::fstat(2, &st), 0);
  ::setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)).c_str(),
           1);
  EXPECT_TRUE(stderr_is_journal());
  ::unsetenv("JOURNAL_STREAM");
}

}  // namespace
}  // namespace smsgw::logging
