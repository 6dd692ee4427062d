#include "admin/call.hpp"

#include <algorithm>
#include <charconv>

namespace smsgw::admin {
namespace {

std::optional<std::int64_t> positive_number(std::string_view s) {
  std::int64_t v = 0;
  const auto* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || v <= 0) return std::nullopt;
  return v;
}

}  // namespace

body_fields::body_fields(const nlohmann::json& body) : body_(body) {
  if (!body_.is_object()) issues_.push_back({"", "the body must be a JSON object"});
}

bool body_fields::present(const std::string& name) const {
  return body_.is_object() && body_.contains(name);
}

const nlohmann::json* body_fields::take(const std::string& name) {
  taken_.push_back(name);
  if (!body_.is_object()) return nullptr;
  const auto it = body_.find(name);
  return it == body_.end() ? nullptr : &*it;
}

void body_fields::wrong_type(const std::string& name, const char* expected) {
  issues_.push_back({name, std::string("must be ") + expected});
}

std::optional<std::string> body_fields::text(const std::string& name) {
  const auto* v = take(name);
  if (v == nullptr) return std::nullopt;
  if (v->is_null()) return std::string();
  if (!v->is_string()) {
    wrong_type(name, "a string");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<store::id> body_fields::id(const std::string& name) {
  const auto* v = take(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer() || v->get<std::int64_t>() <= 0) {
    wrong_type(name, "a positive integer id");
    return std::nullopt;
  }
  return v->get<store::id>();
}

std::optional<bool> body_fields::flag(const std::string& name) {
  const auto* v = take(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    wrong_type(name, "true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::vector<store::id>> body_fields::ids(const std::string& name) {
  const auto* v = take(name);
  if (v == nullptr) return std::nullopt;
  std::vector<store::id> out;
  if (v->is_array()) {
    for (const auto& e : *v) {
      if (!e.is_number_integer() || e.get<std::int64_t>() <= 0) {
        wrong_type(name, "an array of positive integer ids");
        return std::nullopt;
      }
      out.push_back(e.get<store::id>());
    }
    return out;
  }
  wrong_type(name, "an array of positive integer ids");
  return std::nullopt;
}

std::optional<std::vector<std::string>> body_fields::texts(const std::string& name) {
  const auto* v = take(name);
  if (v == nullptr) return std::nullopt;
  std::vector<std::string> out;
  if (v->is_array()) {
    for (const auto& e : *v) {
      if (!e.is_string()) {
        wrong_type(name, "an array of strings");
        return std::nullopt;
      }
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  wrong_type(name, "an array of strings");
  return std::nullopt;
}

std::optional<std::map<std::string, std::string>> body_fields::text_map(const std::string& name) {
  const auto* v = take(name);
  if (v == nullptr) return std::nullopt;
  std::map<std::string, std::string> out;
  if (v->is_object()) {
    for (const auto& [k, e] : v->items()) {
      if (e.is_null()) {
        out[k] = "";
      } else if (e.is_string()) {
        out[k] = e.get<std::string>();
      } else {
        std::string field = name;
        field += ".";
        field += k;
        wrong_type(field, "a string");
        return std::nullopt;
      }
    }
    return out;
  }
  wrong_type(name, "an object of strings");
  return std::nullopt;
}

std::optional<nlohmann::json> body_fields::object(const std::string& name) {
  const auto* v = take(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_object()) {
    wrong_type(name, "an object");
    return std::nullopt;
  }
  return *v;
}

void body_fields::finish() {
  if (body_.is_object()) {
    for (const auto& [k, v] : body_.items()) {
      if (std::find(taken_.begin(), taken_.end(), k) == taken_.end()) {
        issues_.push_back({k, "is not a field of this object"});
      }
    }
  }
  if (!issues_.empty()) throw store::validation_error(std::move(issues_));
}

store::id call::path_id(std::string_view name) const {
  const auto v = positive_number(path_text(name));
  if (!v) throw api_error(404, "not_found", "no such object");
  return *v;
}

const std::string& call::path_text(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  throw std::logic_error("route has no parameter " + std::string(name));
}

const nlohmann::json& call::json() const {
  if (!parsed_) {
    if (request.body.empty()) {
      parsed_ = nlohmann::json::object();
    } else {
      try {
        parsed_ = nlohmann::json::parse(request.body);
      } catch (const nlohmann::json::parse_error& e) {
        throw api_error(400, "invalid_json", "the body is not valid JSON",
                        nlohmann::json::array({{{"position", e.byte}, {"reason", e.what()}}}));
      }
    }
  }
  return *parsed_;
}

int call::limit() const {
  const auto text = query("limit");
  if (!text) return 50;
  const auto v = positive_number(*text);
  if (!v || *v > 1000) throw api_error(400, "bad_request", "limit must be 1..1000");
  return static_cast<int>(*v);
}

store::id call::id_cursor() const {
  const auto text = query("cursor");
  if (!text || text->empty()) return 0;
  const auto v = positive_number(*text);
  if (!v) throw api_error(400, "bad_request", "cursor is not one this API gave");
  return *v;
}

http_response json_answer(int status, const nlohmann::json& body) {
  return {status,
          "application/json",
          body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
          {},
          {}};
}

http_response no_content() {
  return {204, "application/json", "", {}, {}};
}

http_response page_answer(nlohmann::json items, const std::optional<std::string>& next,
                          nlohmann::json head) {
  head["items"] = std::move(items);
  head["next_cursor"] = next ? nlohmann::json(*next) : nlohmann::json(nullptr);
  return json_answer(200, head);
}

}  // namespace smsgw::admin
