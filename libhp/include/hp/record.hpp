// A flat record: named values in order, produced once by the library and rendered by each front end (a JSON
// object in hp-cli, a dict in Python), so both front ends show the same fields under the same names.
// Public header: standard-library types only.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hp {

struct RecordValue {
  enum class Kind { null, boolean, integer, number, text };
  Kind kind = Kind::null;
  bool boolean = false;
  long long integer = 0;
  double number = 0;
  std::string text;
};

class Record {
 public:
  using Field = std::pair<std::string, RecordValue>;
  Record& null(const std::string& key) { return add(key, RecordValue{}); }
  Record& boolean(const std::string& key, bool v) { return add(key, {RecordValue::Kind::boolean, v, 0, 0, {}}); }
  Record& integer(const std::string& key, long long v) { return add(key, {RecordValue::Kind::integer, false, v, 0, {}}); }
  Record& number(const std::string& key, double v) { return add(key, {RecordValue::Kind::number, false, 0, v, {}}); }
  Record& text(const std::string& key, const std::string& v) { return add(key, {RecordValue::Kind::text, false, 0, 0, v}); }
  /// Negative = not set (NeMo's null).
  Record& optional_integer(const std::string& key, long long v) { return v < 0 ? null(key) : integer(key, v); }
  /// `present` false = null (a time that was not measured or not predicted).
  Record& optional_number(const std::string& key, double v, bool present) { return present ? number(key, v) : null(key); }
  const std::vector<Field>& fields() const noexcept { return fields_; }

 private:
  Record& add(const std::string& key, RecordValue v) {
    fields_.emplace_back(key, std::move(v));
    return *this;
  }
  std::vector<Field> fields_;
};

}  // namespace hp
