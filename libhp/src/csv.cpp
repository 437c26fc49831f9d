// CSV tables (RFC 4180: quoted fields, doubled quotes, CRLF or LF), atomic writes.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "hp/files.hpp"
#include "hp/core.hpp"
#include "hp/runs.hpp"

namespace hp {

int Table::column(const std::string& name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return static_cast<int>(i);
  return -1;
}

Table parse_csv(const std::string& text, const std::string& origin) {
  require_text(text, origin, "CSV table");
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, field_started = false;
  int line = 1;
  const std::size_t start = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;  // UTF-8 byte-order mark
  for (std::size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = field_started = true;
    } else if (c == ',') {
      record.push_back(field);
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.push_back(field);
      field.clear();
      field_started = false;
      if (!(record.size() == 1 && record[0].empty())) records.push_back(record);
      record.clear();
      ++line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) throw ConfigError(origin + ":" + std::to_string(line), "\"", "unterminated quoted field");
  if (field_started || !record.empty()) {
    record.push_back(field);
    records.push_back(record);
  }
  if (records.empty()) throw ConfigError(origin, "", "empty CSV (no header)");
  Table t;
  t.columns = records.front();
  for (std::size_t r = 1; r < records.size(); ++r) {
    auto& row = records[r];
    if (row.size() > t.columns.size())
      throw ConfigError(origin + ":row " + std::to_string(r), std::to_string(row.size()) + " fields",
                        "more fields than the header has columns (" + std::to_string(t.columns.size()) + ")");
    row.resize(t.columns.size());
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table read_csv(const std::string& path) {
  return parse_csv(read_file_limited(path, kMaxConfigFileBytes, "CSV file"), path);
}

namespace {

std::string quote(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

void write_csv(const Table& table, const std::string& path) {
  std::string out;
  auto write_row = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + quote(row[i]);
    out += '\n';
  };
  write_row(table.columns);
  for (const auto& r : table.rows) write_row(r);
  write_file_atomic(path, out, /*create_parents=*/false);
}

}  // namespace hp
