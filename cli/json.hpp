// Minimal JSON writer for --json output (flat objects, arrays of numbers/strings, nesting by raw values).
#pragma once

#include <string>
#include <vector>

#include "hp/run/json.hpp"

namespace hpcli {

// Scalars come from the front-end library, so the CLI and the reports escape and format alike.
using hp::run::json_number;
using hp::run::json_string;

/// Builds one JSON object; values are added in order.
class JsonObject {
 public:
  JsonObject& raw(const std::string& key, const std::string& json) {
    items_.push_back(json_string(key) + ": " + json);
    return *this;
  }
  JsonObject& str(const std::string& key, const std::string& v) { return raw(key, json_string(v)); }
  JsonObject& num(const std::string& key, double v) { return raw(key, json_number(v)); }
  JsonObject& integer(const std::string& key, long long v) { return raw(key, std::to_string(v)); }
  JsonObject& boolean(const std::string& key, bool v) { return raw(key, v ? "true" : "false"); }
  JsonObject& null(const std::string& key) { return raw(key, "null"); }
  std::string dump() const {
    std::string out = "{";
    for (size_t i = 0; i < items_.size(); ++i) out += (i ? ", " : "") + items_[i];
    return out + "}";
  }

 private:
  std::vector<std::string> items_;
};

inline std::string json_array(const std::vector<std::string>& raw_items) {
  std::string out = "[";
  for (size_t i = 0; i < raw_items.size(); ++i) out += (i ? ", " : "") + raw_items[i];
  return out + "]";
}

}  // namespace hpcli
