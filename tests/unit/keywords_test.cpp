#include <cstdint>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "keywords/decide.hpp"
#include "keywords/normalise.hpp"

namespace kw = smsgw::keywords;

namespace {

kw::keyword_rule movie() {
  kw::keyword_rule k;
  k.id = 7;
  k.keyword = "MOVIE";
  k.group_id = 70;
  k.optin_message = "movie in";
  k.optout_message = "movie out";
  k.help_message = "movie help";
  return k;
}

kw::company_rules rules() {
  kw::company_rules r;
  r.stop_reply = "stopped";
  r.start_reply = "started";
  r.help_reply = "company help";
  r.default_reply = "default";
  r.keywords.push_back(movie());
  return r;
}

/// Checks the action, the reply and the keyword id (0 = no keyword expected).
void expect(const kw::decision& d, kw::action what, const std::string& reply,
            std::int64_t keyword_id = 0) {
  EXPECT_STREQ(kw::to_string(d.what), kw::to_string(what));
  EXPECT_EQ(d.reply, reply);
  if (keyword_id == 0) {
    EXPECT_FALSE(d.keyword.has_value());
  } else {
    ASSERT_TRUE(d.keyword.has_value());
    EXPECT_EQ(d.keyword->id, keyword_id);
  }
}

bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const std::size_t n = b < 0x80           ? 1
                          : (b >> 5) == 0x6  ? 2
                          : (b >> 4) == 0xE  ? 3
                          : (b >> 3) == 0x1E ? 4
                                             : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t j = 1; j < n; ++j) {
      if ((static_cast<unsigned char>(s[i + j]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

}  // namespace

// --- normalise / words -----------------------------------------------------------------

TEST(Normalise, TrimsAndCollapsesUnicodeWhitespace) {
  EXPECT_EQ(kw::normalise("  movie \t\r\n stop  "), "MOVIE STOP");
  EXPECT_EQ(kw::normalise("\xC2\xA0movie\xE3\x80\x80stop\xC2\xA0"), "MOVIE STOP");  // NBSP, U+3000
  EXPECT_EQ(kw::normalise("a\xE2\x80\xA8"
                          "b\xE2\x80\x83"
                          "c"),
            "A B C");  // U+2028, em space
}

TEST(Normalise, IgnoresWhatHandsetsAddWithoutShowingIt) {
  EXPECT_EQ(kw::normalise("STOP\xE2\x80\x8B"), "STOP");                          // zero-width space
  EXPECT_EQ(kw::normalise("\xEF\xBB\xBFmovie"), "MOVIE");                        // BOM
  EXPECT_EQ(kw::normalise("mo\xE2\x80\x8Dvie\xE2\x80\x8C stop"), "MOVIE STOP");  // ZWJ, ZWNJ
  EXPECT_EQ(kw::normalise("MO\xC2\xADVIE"), "MOVIE");                            // soft hyphen
  EXPECT_EQ(kw::normalise(std::string("HELP\0\0\0", 7)), "HELP");                // NUL padding
  EXPECT_EQ(kw::normalise("\x01stop\x7F"), "STOP");                              // other controls
  EXPECT_EQ(kw::normalise("movie\xE2\x80\x8B stop"), "MOVIE STOP");  // a space still splits
  EXPECT_EQ(kw::normalise("\xE2\x80\x8B\xEF\xBB\xBF"), "");          // nothing visible
  // Gone before composition: what they separated composes, as it will when read again
  // (found by the fuzz test: S, ZWSP, U+0301 normalised to S + U+0301, then to Ś).
  EXPECT_EQ(kw::normalise("s\xE2\x80\x8B\xCC\x81"), "\xC5\x9A");
  EXPECT_EQ(kw::normalise(kw::normalise("ss\xE2\x80\x8B\xCC\x81")),
            kw::normalise("ss\xE2\x80\x8B\xCC\x81"));
}

TEST(Normalise, CaseInsensitive) {
  EXPECT_EQ(kw::normalise("stop"), "STOP");
  EXPECT_EQ(kw::normalise("Stop"), "STOP");
  EXPECT_EQ(kw::normalise("sToP"), "STOP");
  EXPECT_EQ(kw::normalise("caf\xC3\xA9"), "CAF\xC3\x89");  // café -> CAFÉ
}

TEST(Normalise, StripsPunctuationAtWordEdgesOnly) {
  EXPECT_EQ(kw::normalise("stop."), "STOP");
  EXPECT_EQ(kw::normalise("Stop!"), "STOP");
  EXPECT_EQ(kw::normalise("\"movie\", (stop)?"), "MOVIE STOP");
  EXPECT_EQ(kw::normalise("\xC2\xBFstop?\xE2\x80\xA6"), "STOP");  // ¿stop?…
  EXPECT_EQ(kw::normalise("e-mail o'neil"), "E-MAIL O'NEIL");
  EXPECT_EQ(kw::normalise("movie ... !!! stop"), "MOVIE STOP");  // punctuation-only words vanish
}

TEST(Normalise, NfkcFullWidth) {
  EXPECT_EQ(kw::normalise("\xEF\xBC\xAD\xEF\xBC\xAF\xEF\xBC\xB6\xEF\xBC\xA9\xEF\xBC\xA5"), "MOVIE");
  EXPECT_EQ(kw::normalise("\xEF\xBD\x93\xEF\xBD\x94\xEF\xBD\x8F\xEF\xBD\x90\xEF\xBC\x81"),
            "STOP");                                   // ｓｔｏｐ！
  EXPECT_EQ(kw::normalise("\xEF\xAC\x81le"), "FILE");  // ﬁ ligature
}

TEST(Normalise, GermanSharpS) {
  EXPECT_EQ(kw::normalise("stra\xC3\x9F"
                          "e"),
            "STRASSE");
  EXPECT_EQ(kw::normalise("STRASSE"), kw::normalise("Stra\xC3\x9F"
                                                    "e"));
}

TEST(Normalise, TurkishDotlessIDoesNotBreakAscii) {
  EXPECT_EQ(kw::normalise("info"), "INFO");
  EXPECT_EQ(kw::normalise("\xC4\xB1nfo"), "INFO");  // dotless ı upper-cases to I
}

TEST(Normalise, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(kw::normalise("ab\xFF"
                          "c"),
            "AB\xEF\xBF\xBD"
            "C");
  EXPECT_EQ(kw::normalise("stop \xC3"), "STOP \xEF\xBF\xBD");
}

TEST(Normalise, EmptyAndBlank) {
  EXPECT_EQ(kw::normalise(""), "");
  EXPECT_EQ(kw::normalise(" \t\n\xC2\xA0 "), "");
  EXPECT_EQ(kw::normalise(" ?! ... "), "");
}

TEST(Words, SplitsOnSpaces) {
  EXPECT_EQ(kw::words("MOVIE STOP NOW"), (std::vector<std::string>{"MOVIE", "STOP", "NOW"}));
  EXPECT_EQ(kw::words("MOVIE"), (std::vector<std::string>{"MOVIE"}));
  EXPECT_TRUE(kw::words("").empty());
}

// --- decide: the rules --------------------------------------------------------------------

TEST(Decide, CompanyStop) {
  const auto r = rules();
  expect(kw::decide("STOP", r), kw::action::company_stop, "stopped");
  expect(kw::decide("stop.", r), kw::action::company_stop, "stopped");
  expect(kw::decide("Stop!", r), kw::action::company_stop, "stopped");
  expect(kw::decide(" unsubscribe ", r), kw::action::company_stop, "stopped");
  expect(kw::decide("End", r), kw::action::company_stop, "stopped");
}

TEST(Decide, StopFirstWordBeatsKeywordOptOut) {
  const auto r = rules();
  expect(kw::decide("STOP MOVIE", r), kw::action::company_stop, "stopped");
  expect(kw::decide("cancel everything please", r), kw::action::company_stop, "stopped");
}

TEST(Decide, CompanyStartWholeMessageOnly) {
  const auto r = rules();
  expect(kw::decide("START", r), kw::action::company_start, "started");
  expect(kw::decide("unstop!", r), kw::action::company_start, "started");
  expect(kw::decide("START MOVIE", r), kw::action::unmatched, "default");
}

TEST(Decide, StartFollowedByKeywordIsNotAStart) {
  auto r = rules();
  r.keywords.front().keyword = "START2";
  expect(kw::decide("START START2", r), kw::action::unmatched, "default");
}

TEST(Decide, KeywordOptIn) {
  const auto r = rules();
  expect(kw::decide("MOVIE", r), kw::action::opt_in, "movie in", 7);
  expect(kw::decide("  movie! ", r), kw::action::opt_in, "movie in", 7);
  const auto d = kw::decide("Movie", r);
  ASSERT_TRUE(d.keyword.has_value());
  EXPECT_EQ(d.keyword->group_id, 70);
}

TEST(Decide, KeywordOptOut) {
  const auto r = rules();
  expect(kw::decide("MOVIE STOP", r), kw::action::opt_out, "movie out", 7);
  expect(kw::decide("movie stop.", r), kw::action::opt_out, "movie out", 7);
  expect(kw::decide("movie quit", r), kw::action::opt_out, "movie out", 7);
  expect(kw::decide("MOVIE STOP NOW PLEASE", r), kw::action::opt_out, "movie out", 7);
}

TEST(Decide, KeywordHelp) {
  const auto r = rules();
  expect(kw::decide("MOVIE HELP", r), kw::action::keyword_help, "movie help", 7);
  expect(kw::decide("movie info", r), kw::action::keyword_help, "movie help", 7);
  expect(kw::decide("movie help me", r), kw::action::keyword_help, "movie help", 7);
}

TEST(Decide, KeywordTailUnmatchedByDefault) {
  const auto r = rules();
  expect(kw::decide("MOVIE TONIGHT", r), kw::action::unmatched, "default");
  expect(kw::decide("MOVIE START", r), kw::action::unmatched, "default");
}

TEST(Decide, KeywordTailIgnored) {
  auto r = rules();
  r.keywords.front().tail = kw::tail_policy::ignore;
  expect(kw::decide("MOVIE TONIGHT PLEASE", r), kw::action::opt_in, "movie in", 7);
  expect(kw::decide("MOVIE STOP", r), kw::action::opt_out, "movie out", 7);
  expect(kw::decide("MOVIE HELP", r), kw::action::keyword_help, "movie help", 7);
}

TEST(Decide, KeywordConfiguredInLowerCaseWithPunctuation) {
  auto r = rules();
  r.keywords.front().keyword = " movie! ";
  expect(kw::decide("MOVIE", r), kw::action::opt_in, "movie in", 7);
  r.keywords.front().keyword =
      "stra\xC3\x9F"
      "e";
  expect(kw::decide("STRASSE", r), kw::action::opt_in, "movie in", 7);
}

TEST(Decide, TwoKeywordsOnOneNumber) {
  auto r = rules();
  kw::keyword_rule music;
  music.id = 8;
  music.keyword = "music";
  music.optin_message = "music in";
  music.optout_message = "music out";
  music.help_message = "music help";
  r.keywords.push_back(music);
  expect(kw::decide("MUSIC", r), kw::action::opt_in, "music in", 8);
  expect(kw::decide("music stop", r), kw::action::opt_out, "music out", 8);
  expect(kw::decide("movie", r), kw::action::opt_in, "movie in", 7);
  expect(kw::decide("MOVIE MUSIC", r), kw::action::unmatched, "default");
}

TEST(Decide, CompanyHelp) {
  const auto r = rules();
  expect(kw::decide("HELP", r), kw::action::company_help, "company help");
  expect(kw::decide("info?", r), kw::action::company_help, "company help");
  expect(kw::decide("HELP MOVIE", r), kw::action::unmatched, "default");
}

TEST(Decide, UnmatchedAndEmpty) {
  auto r = rules();
  expect(kw::decide("hello there", r), kw::action::unmatched, "default");
  expect(kw::decide("", r), kw::action::unmatched, "default");
  expect(kw::decide(" \t\xC2\xA0\n", r), kw::action::unmatched, "default");
  r.default_reply.clear();
  expect(kw::decide("hello", r), kw::action::unmatched, "");
}

TEST(Decide, FullWidthAndNonBreakingInput) {
  const auto r = rules();
  expect(kw::decide("\xEF\xBC\xAD\xEF\xBC\xAF\xEF\xBC\xB6\xEF\xBC\xA9\xEF\xBC\xA5", r),
         kw::action::opt_in, "movie in", 7);
  expect(kw::decide("movie\xC2\xA0stop", r), kw::action::opt_out, "movie out", 7);
}

TEST(Decide, WholeMessageStopMatching) {
  auto r = rules();
  r.stop_match = kw::stop_matching::whole_message;
  expect(kw::decide("STOP", r), kw::action::company_stop, "stopped");
  expect(kw::decide(" stop. ", r), kw::action::company_stop, "stopped");
  expect(kw::decide("STOP PLEASE", r), kw::action::unmatched, "default");
  expect(kw::decide("STOP MOVIE", r), kw::action::unmatched, "default");
  expect(kw::decide("MOVIE STOP", r), kw::action::opt_out, "movie out", 7);
}

TEST(Decide, ConfiguredRuleWordsAreNormalised) {
  auto r = rules();
  r.stop_words = {"Halt"};
  r.start_words = {"go!"};
  r.help_words = {"Hilfe"};
  expect(kw::decide("HALT", r), kw::action::company_stop, "stopped");
  expect(kw::decide("STOP", r), kw::action::unmatched, "default");
  expect(kw::decide("GO", r), kw::action::company_start, "started");
  expect(kw::decide("hilfe", r), kw::action::company_help, "company help");
  expect(kw::decide("movie halt", r), kw::action::opt_out, "movie out", 7);
  expect(kw::decide("movie HILFE", r), kw::action::keyword_help, "movie help", 7);
}

TEST(Decide, EmptyConfiguredWordNeverMatches) {
  auto r = rules();
  r.stop_words.push_back("...");
  r.keywords.front().keyword = "";
  expect(kw::decide("...", r), kw::action::unmatched, "default");
  expect(kw::decide("hello", r), kw::action::unmatched, "default");
}

// --- check_keyword / to_string ------------------------------------------------------------

TEST(CheckKeyword, AcceptsOrdinaryKeywords) {
  const auto r = rules();
  EXPECT_EQ(kw::check_keyword("MOVIE", r), std::nullopt);
  EXPECT_EQ(kw::check_keyword(" e-mail ", r), std::nullopt);
}

TEST(CheckKeyword, RefusesEmptyAndMultiWord) {
  const auto r = rules();
  EXPECT_EQ(kw::check_keyword("", r), "the keyword is empty");
  EXPECT_EQ(kw::check_keyword(" !? ", r), "the keyword is empty");
  EXPECT_EQ(kw::check_keyword("movie night", r), "\"MOVIE NIGHT\" is more than one word");
}

TEST(CheckKeyword, RefusesStopStartAndHelpWords) {
  auto r = rules();
  EXPECT_EQ(kw::check_keyword("stop", r), "\"STOP\" is a stop word");
  EXPECT_EQ(kw::check_keyword("Unsubscribe.", r), "\"UNSUBSCRIBE\" is a stop word");
  EXPECT_EQ(kw::check_keyword("START", r), "\"START\" is a start word");
  EXPECT_EQ(kw::check_keyword("info", r), "\"INFO\" is a help word");
  r.help_words = {"Aide"};
  EXPECT_EQ(kw::check_keyword("AIDE", r), "\"AIDE\" is a help word");
  EXPECT_EQ(kw::check_keyword("HELP", r), std::nullopt);
}

TEST(ToString, AllActions) {
  EXPECT_STREQ(kw::to_string(kw::action::company_stop), "company_stop");
  EXPECT_STREQ(kw::to_string(kw::action::company_start), "company_start");
  EXPECT_STREQ(kw::to_string(kw::action::opt_in), "opt_in");
  EXPECT_STREQ(kw::to_string(kw::action::opt_out), "opt_out");
  EXPECT_STREQ(kw::to_string(kw::action::keyword_help), "keyword_help");
  EXPECT_STREQ(kw::to_string(kw::action::company_help), "company_help");
  EXPECT_STREQ(kw::to_string(kw::action::unmatched), "unmatched");
}

// --- robustness -------------------------------------------------------------------------

TEST(Fuzz, OddByteStringsNeverThrow) {
  static const char* const pieces[] = {"STOP",
                                       "movie",
                                       " ",
                                       "\t",
                                       "\n",
                                       "\xC2\xA0",
                                       "\xE3\x80\x80",
                                       "!",
                                       ".",
                                       "'",
                                       "\"",
                                       "\xFF",
                                       "\xC3",
                                       "\xE2\x82",
                                       "\xF0\x9F\x98\x80",
                                       "\xED\xA0\x80",
                                       "\xC0\xAF",
                                       "\xEF\xBC\xAD",
                                       "\xC3\x9F",
                                       "\xC4\xB0",
                                       "\xCC\x81",
                                       "\x00",
                                       "\xEF\xBB\xBF",
                                       "help",
                                       "\xE2\x80\xA8"};
  auto r = rules();
  r.keywords.front().tail = kw::tail_policy::ignore;
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> len(0, 24);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> piece(0, std::size(pieces) - 1);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    for (int n = len(rng); n > 0; --n) {
      if (byte(rng) < 96) {
        text += static_cast<char>(byte(rng));
      } else {
        const char* p = pieces[piece(rng)];
        text.append(p, *p == '\0' ? 1 : std::char_traits<char>::length(p));
      }
    }
    EXPECT_NO_THROW({
      const auto d = kw::decide(text, r);
      (void)kw::to_string(d.what);
    }) << "round "
       << round;
    const std::string n = kw::normalise(text);
    ASSERT_TRUE(valid_utf8(n)) << "round " << round;
    ASSERT_EQ(n.find("  "), std::string::npos) << "round " << round;
    ASSERT_TRUE(n.empty() || (n.front() != ' ' && n.back() != ' ')) << "round " << round;
    ASSERT_EQ(kw::normalise(n), n) << "round " << round;
  }
}
