// Fuzzes the log line splitter and the JSON log formatter with any message (log lines carry
// SMSC error strings, HTTP targets and, at debug, MO text). Every field must come back with a
// well-formed key, and every JSON line must parse as one JSON object.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/details/log_msg.h>

#include "fuzz/check.hpp"
#include "logging/format.hpp"

namespace fuzz = smsgw::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto e = smsgw::logging::split_fields(text);
    fuzz::check(e.message.size() <= text.size(), "a message longer than its line");
    for (const auto& [key, value] : e.fields) {
      fuzz::check(!key.empty() && key[0] >= 'a' && key[0] <= 'z', "a field without a key");
    }
    const auto formatter = smsgw::logging::make_formatter(smsgw::logging::format::json, true);
    const spdlog::details::log_msg msg("fuzz", spdlog::level::info, text);
    spdlog::memory_buf_t out;
    formatter->format(msg, out);
    std::string line(out.data(), out.size());
    fuzz::check(line.size() > 4 && line.back() == '\n', "a JSON line without its newline");
    fuzz::check(line.rfind("<6>", 0) == 0, "a journal line without its priority");
    line.pop_back();
    fuzz::check(line.find('\n') == std::string::npos, "a JSON log event over two lines");
    const auto parsed = nlohmann::json::parse(line.substr(3));
    fuzz::check(parsed.is_object() && parsed.contains("message"), "a JSON line that is no event");
  } catch (const std::exception& e) {
    fuzz::unexpected_exception(e);
  }
  return 0;
}
