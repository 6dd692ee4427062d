// How log lines are written: text for a terminal, text with syslog priority prefixes when
// stderr is the journal, or one JSON object per line for log shippers. Every line is an
// event: a stable message, then `key=value` fields (a value with spaces in double quotes).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/formatter.h>

namespace smsgw::logging {

enum class format { text, json };

/// A log message split into its stable text and its `key=value` fields, in order.
struct event {
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;
};

/// Splits `line`: the message is everything before the first ` key=` (a key is lower-case
/// letters, digits and `_`, starting with a letter); a value runs to the next ` key=`, or
/// is a double-quoted string (its closing quote is the one followed by the end or by
/// ` key=`; an unterminated one runs to the end). Never fails: a line without fields is
/// all message.
event split_fields(std::string_view line);

/// `<N>`, the syslog priority systemd-journald reads at the start of a line, for a level.
std::string_view journal_prefix(int spdlog_level);

/// True when stderr is connected to the journal (JOURNAL_STREAM names its device and inode).
bool stderr_is_journal();

/// The formatter for `f`; `journal` adds the priority prefix and leaves the timestamp out
/// of text lines (journald keeps its own).
std::unique_ptr<spdlog::formatter> make_formatter(format f, bool journal);

}  // namespace smsgw::logging
