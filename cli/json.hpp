// Minimal JSON writer for --json output (flat objects, arrays of numbers/strings, nesting by raw values).
#pragma once

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

namespace hpcli {

inline std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  return out + "\"";
}

inline std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream os;
  os.precision(12);
  os << v;
  return os.str();
}

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
