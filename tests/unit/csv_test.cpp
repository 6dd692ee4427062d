// The CSV reader and writer: RFC 4180 as the manual's import files use it, the leniencies
// Excel and hand-edited files need, and a clear error with its line for everything else.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/csv.hpp"

namespace store = smsgw::store;

namespace {

using records = std::vector<std::vector<std::string>>;

// Every record of `text`, read `chunk` bytes at a time; the error text when it is refused.
struct read_result {
  records rows;
  std::vector<std::uint64_t> lines;
  std::string error;
};

read_result read_all(std::string_view text, std::size_t chunk = 1 << 20,
                     store::csv_limits limits = {}) {
  read_result out;
  auto whole = store::csv_text_source(text);
  store::csv_reader reader(
      [&](char* buffer, std::size_t capacity) { return whole(buffer, std::min(capacity, chunk)); },
      limits);
  std::vector<std::string> fields;
  for (;;) {
    const auto more = reader.next(fields);
    if (!more) {
      out.error = "line " + std::to_string(more.error().line) + ": " + more.error().reason;
      return out;
    }
    if (!*more) return out;
    out.rows.push_back(fields);
    out.lines.push_back(reader.record_line());
  }
}

TEST(CsvTest, ReadsTheManualsFiles) {
  const auto r = read_all(
      "name,number,group\r\n"
      "John Stamos,61497565432,\r\n"
      "Christine in Accounting,614918828762,Work|Play\r\n");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.rows, (records{{"name", "number", "group"},
                             {"John Stamos", "61497565432", ""},
                             {"Christine in Accounting", "614918828762", "Work|Play"}}));
  // The export example, with its space before a quoted field.
  const auto e = read_all(
      "\"Type\",\"Name\",\"Group\", \"Group Public Ids\"\n"
      "\"contact\",\"Joe Famous\",\"Authors|Directors\", \"G0001|G007\"\n");
  EXPECT_EQ(e.error, "");
  EXPECT_EQ(e.rows, (records{{"Type", "Name", "Group", "Group Public Ids"},
                             {"contact", "Joe Famous", "Authors|Directors", "G0001|G007"}}));
}

TEST(CsvTest, QuotesHoldCommasQuotesAndLineBreaks) {
  const auto r = read_all("a,\"b, \"\"c\"\"\",\"line\r\nbreak\"\nnext,\"\"\n");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.rows, (records{{"a", "b, \"c\"", "line\r\nbreak"}, {"next", ""}}));
  EXPECT_EQ(r.lines, (std::vector<std::uint64_t>{1, 3}));
}

TEST(CsvTest, LineEndingsBomBlankLinesAndTheLastLine) {
  EXPECT_EQ(read_all("\xEF\xBB\xBFnumber\r\n+61412\r\n").rows, (records{{"number"}, {"+61412"}}));
  EXPECT_EQ(read_all("a\rb\nc\r\nd").rows, (records{{"a"}, {"b"}, {"c"}, {"d"}}));
  const auto blank = read_all("number\n\n1\r\n\r\n\r\n");
  EXPECT_EQ(blank.rows, (records{{"number"}, {"1"}}));
  EXPECT_EQ(blank.lines, (std::vector<std::uint64_t>{1, 3}));
  EXPECT_EQ(read_all("a,b,\n").rows, (records{{"a", "b", ""}}));
  EXPECT_EQ(read_all(" a , b\n").rows, (records{{" a ", " b"}}));  // unquoted spaces are kept
  EXPECT_TRUE(read_all("").rows.empty());
  EXPECT_EQ(read_all("\xEF\xBB\xBF").error, "");
}

TEST(CsvTest, EverySplitOfTheInputReadsAlike) {
  const std::string text =
      "\xEF\xBB\xBF\"Type\",\"Name\"\r\n\"contact\",\"a \"\"q\"\"\r\nb\"\r\nx,y\rz,\"\"\n";
  const auto whole = read_all(text);
  ASSERT_EQ(whole.error, "");
  for (std::size_t chunk = 1; chunk <= text.size(); ++chunk) {
    const auto r = read_all(text, chunk);
    EXPECT_EQ(r.rows, whole.rows) << "chunk " << chunk;
    EXPECT_EQ(r.lines, whole.lines) << "chunk " << chunk;
  }
}

TEST(CsvTest, MalformedInputIsRefusedWithItsLine) {
  EXPECT_EQ(read_all("a\n\"open\nstill open").error, "line 2: a quoted field is not closed");
  EXPECT_EQ(read_all("a\nb\"c\n").error,
            "line 2: a quote inside an unquoted field (quote the whole field and double the "
            "quote)");
  EXPECT_EQ(read_all("a\n\"b\"c\n").error, "line 2: text after the closing quote of a field");
  EXPECT_EQ(read_all("\xFF\xFEn\0u\0").error,
            "line 1: the file is UTF-16; save it as \"CSV UTF-8\"");
  EXPECT_EQ(read_all("ok\n" + std::string(100, 'x') + "\n", 7, {64, 256}).error,
            "line 2: a record is longer than 64 bytes");
  EXPECT_EQ(read_all("ok\n\"" + std::string(100, 'x'), 7, {64, 256}).error,
            "line 2: a record is longer than 64 bytes");
  EXPECT_EQ(read_all("a,b,c,d\n", 3, {64, 3}).error, "line 1: a record has more than 3 fields");
}

TEST(CsvTest, ReadingStopsAtTheFirstError) {
  store::csv_reader reader(store::csv_text_source("a\n\"x\"y\nb\n"));
  std::vector<std::string> fields;
  ASSERT_TRUE(reader.next(fields).value());
  const auto bad = reader.next(fields);
  ASSERT_FALSE(bad);
  const auto again = reader.next(fields);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), bad.error());
}

TEST(CsvTest, WrittenRecordsReadBackAsTheyWere) {
  const records rows = {{"plain", "", "a,b", "say \"hi\"", "two\r\nlines", "cr\ronly", " pad "},
                        {""}};
  std::string text;
  for (const auto& r : rows) text += store::csv_record(r);
  EXPECT_EQ(store::csv_record({"a", "b\"c"}), "\"a\",\"b\"\"c\"\r\n");
  EXPECT_EQ(read_all(text).rows, rows);
}

}  // namespace
