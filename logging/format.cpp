#include "logging/format.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>

namespace smsgw::logging {
namespace {

bool is_key_start(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_key_char(char c) {
  return is_key_start(c) || (c >= '0' && c <= '9') || c == '_';
}

// The length of `key=` at `at`, or 0 when none starts there.
std::size_t key_at(std::string_view s, std::size_t at) {
  if (at >= s.size() || !is_key_start(s[at])) return 0;
  std::size_t i = at;
  while (i < s.size() && is_key_char(s[i])) ++i;
  return i < s.size() && s[i] == '=' ? i + 1 - at : 0;
}

// Where a field starts after position `from`: a space followed by `key=`; npos when none.
std::size_t next_field(std::string_view s, std::size_t from) {
  for (std::size_t i = s.find(' ', from); i != std::string_view::npos; i = s.find(' ', i + 1)) {
    if (key_at(s, i + 1) > 0) return i;
  }
  return std::string_view::npos;
}

}  // namespace

event split_fields(std::string_view line) {
  event e;
  std::size_t at = 0;  // where the next field's key starts, npos when none is left
  if (key_at(line, 0) == 0) {
    const auto space = next_field(line, 0);
    e.message = std::string(line.substr(0, space));
    at = space == std::string_view::npos ? space : space + 1;
  }
  while (at != std::string_view::npos && at < line.size()) {
    const auto key_length = key_at(line, at);
    std::string key(line.substr(at, key_length - 1));
    const auto value_at = at + key_length;
    std::size_t end = 0;  // one past the value as written
    std::string value;
    if (value_at < line.size() && line[value_at] == '"') {
      // The closing quote is the one at the end or before ` key=`.
      end = std::string_view::npos;
      for (auto q = line.find('"', value_at + 1); q != std::string_view::npos;
           q = line.find('"', q + 1)) {
        if (q + 1 == line.size() || (line[q + 1] == ' ' && key_at(line, q + 2) > 0)) {
          end = q + 1;
          break;
        }
      }
      if (end == std::string_view::npos) {  // unterminated: the rest is the value
        end = line.size();
        value = std::string(line.substr(value_at + 1));
      } else {
        value = std::string(line.substr(value_at + 1, end - value_at - 2));
      }
    } else {
      end = next_field(line, value_at);
      if (end == std::string_view::npos) end = line.size();
      value = std::string(line.substr(value_at, end - value_at));
    }
    e.fields.emplace_back(std::move(key), std::move(value));
    at = end < line.size() ? end + 1 : std::string_view::npos;
  }
  return e;
}

std::string_view journal_prefix(int level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return "<7>";
    case spdlog::level::info: return "<6>";
    case spdlog::level::warn: return "<4>";
    case spdlog::level::err: return "<3>";
    case spdlog::level::critical: return "<2>";
    default: return "<6>";
  }
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st {};
  if (::fstat(2, &st) != 0) return false;
  return st.st_dev == device && st.st_ino == inode;
}

namespace {

class json_formatter final : public spdlog::formatter {
 public:
  explicit json_formatter(bool journal) : journal_(journal) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto parsed = split_fields(std::string_view(msg.payload.data(), msg.payload.size()));
    nlohmann::ordered_json line;
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count() %
        1000;
    line["time"] = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z",
                               fmt::gmtime(std::chrono::system_clock::to_time_t(msg.time)), millis);
    line["level"] = std::string(spdlog::level::to_string_view(msg.level).data(),
                                spdlog::level::to_string_view(msg.level).size());
    line["component"] = std::string(msg.logger_name.data(), msg.logger_name.size());
    line["message"] = parsed.message;
    for (const auto& [key, value] : parsed.fields) {
      if (key == "time" || key == "level" || key == "component" || key == "message") {
        line["field_" + key] = value;  // never overwrite the envelope
      } else {
        line[key] = value;
      }
    }
    // Invalid UTF-8 (an undecodable MO, a hostile header) is replaced, never a broken line.
    const auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (journal_) {
      const auto prefix = journal_prefix(msg.level);
      dest.append(prefix.data(), prefix.data() + prefix.size());
    }
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }

  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>(journal_);
  }

 private:
  bool journal_;
};

// `[component] message`, after the priority prefix when the journal reads it.
class journal_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const auto prefix = journal_prefix(msg.level);
    dest.append(prefix.data(), prefix.data() + prefix.size());
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<journal_flag>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_formatter(format f, bool journal) {
  if (f == format::json) return std::make_unique<json_formatter>(journal);
  auto text = std::make_unique<spdlog::pattern_formatter>();
  if (journal) {
    text->add_flag<journal_flag>('*').set_pattern("%*%l [%n] %v");
  } else {
    text->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l [%n] %v");
  }
  return text;
}

}  // namespace smsgw::logging
