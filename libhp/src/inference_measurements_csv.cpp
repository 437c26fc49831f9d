// The measurements CSV: reading (user files and the embedded published data) and writing.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "hp/files.hpp"
#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/inference_validate.hpp"

namespace hp {

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        cur += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (ch != '\r') {
      cur += ch;
    }
  }
  out.push_back(cur);
  return out;
}

std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\n") == std::string::npos) return v;
  std::string o = "\"";
  for (char c : v) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

}  // namespace

std::vector<InferenceMeasurement> parse_inference_measurements_csv(const std::string& text, const std::string& path) {
  require_text(text, path, "measurements CSV");
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) throw ConfigError(path, "", "empty measurements CSV (expected a header row)");
  const std::vector<std::string> want = {"model",          "gpu",          "tp",     "pp",    "batch_size",
                                         "input_len",      "output_len",   "weight_dtype", "kv_cache_dtype",
                                         "metric",         "value",        "source"};
  const auto header = split_csv_line(line);
  if (header.size() < want.size() || !std::equal(want.begin(), want.end(), header.begin()))
    throw ConfigError(path + ":1", line, "header must be " + [&] {
      std::string s;
      for (const auto& w : want) s += (s.empty() ? "" : ",") + w;
      return s;
    }());
  std::vector<InferenceMeasurement> out;
  int lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto f = split_csv_line(line);
    const std::string where = path + ":" + std::to_string(lineno);
    if (f.size() < want.size())
      throw ConfigError(where, line, "expected " + std::to_string(want.size()) + " columns");
    auto to_int = [&](size_t i) {
      try {
        size_t used = 0;
        const int v = std::stoi(f[i], &used);
        if (used != f[i].size() || v < 1) throw std::invalid_argument("bad");
        return v;
      } catch (const std::exception&) {
        throw ConfigError(where + "." + want[i], f[i], "expected an integer >= 1");
      }
    };
    InferenceMeasurement m;
    m.model_name = f[0];
    if (f[0].find('/') != std::string::npos) {
      try {
        m.model = find_model(f[0]);
      } catch (const ConfigError& e) {
        throw ConfigError(where + ".model", f[0], e.what());
      }
    } else {
      try {
        m.model = validation_model(f[0]);
      } catch (const ConfigError& e) {
        throw ConfigError(where + ".model", f[0], e.what());
      }
    }
    try {
      find_gpu(f[1]);
    } catch (const ConfigError& e) {
      throw ConfigError(where + ".gpu", f[1], e.what());
    }
    m.gpu = f[1];
    m.layout.tp = to_int(2);
    m.layout.pp = to_int(3);
    m.layout.batch_size = to_int(4);
    m.layout.input_len = to_int(5);
    m.layout.output_len = to_int(6);
    m.layout.weight_dtype = f[7];
    m.layout.kv_cache_dtype = f[8];
    dtype_bytes(where + ".weight_dtype", f[7]);
    if (!f[8].empty()) dtype_bytes(where + ".kv_cache_dtype", f[8]);
    m.metric = inference_metric_from_string(where + ".metric", f[9]);
    try {
      size_t used = 0;
      m.value = std::stod(f[10], &used);
      if (used != f[10].size() || !(m.value > 0)) throw std::invalid_argument("bad");
    } catch (const std::exception&) {
      throw ConfigError(where + ".value", f[10], "expected a number > 0");
    }
    m.source = f[11];
    // Optional columns after the required ones, by name: engine, table.
    std::string table;
    for (size_t i = want.size(); i < header.size() && i < f.size(); ++i) {
      if (header[i] == "engine" && !f[i].empty()) m.engine = f[i];
      if (header[i] == "table") table = f[i];
    }
    m.id = (table.empty() ? std::string() : table + "/") + m.gpu + "/" + m.model_name + "/tp" +
           std::to_string(m.layout.tp) + "/pp" + std::to_string(m.layout.pp) + "/bs" +
           std::to_string(m.layout.batch_size) + "/" + std::to_string(m.layout.input_len) + "-" +
           std::to_string(m.layout.output_len);
    out.push_back(std::move(m));
  }
  if (out.empty()) throw ConfigError(path, "", "no measurement rows");
  return out;
}

std::vector<InferenceMeasurement> load_inference_measurements_csv(const std::string& path) {
  return parse_inference_measurements_csv(read_file_limited(path, kMaxConfigFileBytes, "measurements CSV"), path);
}

std::string inference_measurements_csv(const std::vector<InferenceMeasurement>& rows) {
  std::string out =
      "model,gpu,tp,pp,batch_size,input_len,output_len,weight_dtype,kv_cache_dtype,metric,value,source,engine,table\n";
  for (const auto& m : rows) {
    char value[64];
    std::snprintf(value, sizeof value, "%.12g", m.value);
    const auto& l = m.layout;
    const std::string table = m.id.substr(0, m.id.find('/'));
    out += csv_field(m.model_name) + "," + csv_field(m.gpu) + "," + std::to_string(l.tp) + "," + std::to_string(l.pp) +
           "," + std::to_string(l.batch_size) + "," + std::to_string(l.input_len) + "," +
           std::to_string(l.output_len) + "," + l.weight_dtype + "," + l.kv_cache_dtype + "," + to_string(m.metric) +
           "," + value + "," + csv_field(m.source) + "," + csv_field(m.engine) + "," + csv_field(table) + "\n";
  }
  return out;
}

}  // namespace hp
