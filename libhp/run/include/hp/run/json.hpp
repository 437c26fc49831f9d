// Minimal JSON output helpers for the front ends and the journal (values, arrays, records).
#pragma once

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "hp/record.hpp"

namespace hp::run {

inline std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

inline std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

/// A record (hp/record.hpp) as one JSON object: how hp-cli renders the schemas libhp and hp::run define.
inline std::string json_record(const hp::Record& record) {
  std::string out = "{";
  for (const auto& [key, v] : record.fields()) {
    out += (out.size() > 1 ? ", " : "") + json_string(key) + ": ";
    switch (v.kind) {
      case hp::RecordValue::Kind::null: out += "null"; break;
      case hp::RecordValue::Kind::boolean: out += v.boolean ? "true" : "false"; break;
      case hp::RecordValue::Kind::integer: out += std::to_string(v.integer); break;
      case hp::RecordValue::Kind::number: out += json_number(v.number); break;
      case hp::RecordValue::Kind::text: out += json_string(v.text); break;
    }
  }
  return out + "}";
}

template <class T, class F>
std::string json_array(const std::vector<T>& values, F each) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + each(values[i]);
  return out + "]";
}

}  // namespace hp::run
