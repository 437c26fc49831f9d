// The measurements CSV: reading (user files and the embedded published data) and writing.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "hp/files.hpp"
#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/inference_serving.hpp"
#include "hp/serving_search.hpp"
#include "hp/inference_validate.hpp"
#include "hp/perf.hpp"
#include "hp/served_models.hpp"
#include "format.hpp"

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

/// Why a row's expert layout cannot be evaluated ("" = it can): the ConfigErrors of estimate_inference, as a reason.
std::string expert_layout_problem(const ModelSpec& model, const InferenceLayout& l) {
  if (!model.is_moe() && (l.ep > 1 || l.attention_dp))
    return "ep " + std::to_string(l.ep) + (l.attention_dp ? " with attention_dp" : "") + " on a dense model";
  if (model.is_moe() && model.moe_num_experts % l.ep != 0)
    return "ep " + std::to_string(l.ep) + " does not divide the " + std::to_string(model.moe_num_experts) + " experts";
  if (l.attention_dp && l.ep != l.tp) return "attention_dp needs ep == tp";
  return "";
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
    // Optional columns by name (after the required ones).
    auto opt = [&](const char* name) -> std::string {
      for (size_t i = want.size(); i < header.size() && i < f.size(); ++i)
        if (header[i] == name) return f[i];
      return "";
    };
    auto opt_num = [&](const char* name, double lo) {
      const std::string v = opt(name);
      if (v.empty()) return -1.0;
      try {
        size_t used = 0;
        const double x = std::stod(v, &used);
        if (used != v.size() || !(x >= lo)) throw std::invalid_argument("bad");
        return x;
      } catch (const std::exception&) {
        throw ConfigError(where + "." + name, v, "expected a number >= " + detail::format_number(lo));
      }
    };
    // A count column: a whole number in [lo, hi] (-1 when absent; users and ep up to the layout bound, tokens up
    // to the sequence bound of docs/usage.md). Checked before the cast to int, which is
    // undefined for a value out of its range (the fuzzer's 8.9e15 users).
    auto opt_count = [&](const char* name, int lo, int hi) {
      const double x = opt_num(name, lo);
      if (x < 0) return -1;
      if (!(x == std::floor(x) && x <= hi))
        throw ConfigError(where + "." + name, opt(name), "expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
      return static_cast<int>(x);
    };
    std::string name_dtype;  // the weight dtype the model's name says (-FP8, -FP4, ...), for an empty column
    if (!opt("num_layers").empty()) {
      std::map<std::string, std::string> arch;
      for (const std::string& k : architecture_keys())
        if (!opt(k.c_str()).empty()) arch[k] = opt(k.c_str());
      m.model = architecture_model(f[0], arch, where);
      m.architecture_columns = true;
    } else {
      // Unknown names are this row's problem; the other rows are still evaluated.
      try {
        const ServedModel served = resolve_served_model(f[0]);  // catalogue, validation or Hugging Face names
        m.model = served.model;
        name_dtype = served.weight_dtype;
      } catch (const ConfigError&) {
        m.problem = std::string("unknown model ") + f[0] + " (give the architecture columns, e.g. num_layers)";
      }
    }
    try {
      find_gpu(f[1]);
    } catch (const ConfigError&) {
      if (m.problem.empty()) m.problem = "unknown GPU " + f[1];
    }
    m.gpu = f[1];
    m.layout.tp = to_int(2);
    m.layout.pp = to_int(3);
    m.layout.batch_size = to_int(4);
    m.layout.input_len = to_int(5);
    m.layout.output_len = to_int(6);
    m.layout.weight_dtype = f[7].empty() ? name_dtype : f[7];
    m.layout.kv_cache_dtype = f[8];
    if (!m.layout.weight_dtype.empty()) dtype_bytes(where + ".weight_dtype", m.layout.weight_dtype);
    else if (m.problem.empty()) m.problem = "no weight_dtype (empty column, and the model name has no quantization suffix)";
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
    const std::string table = opt("table");
    if (!opt("engine").empty()) m.engine = opt("engine");
    check_serving_engine(where + ".engine", m.engine);
    if (!opt("mode").empty()) m.mode = opt("mode");
    check_serving_mode(where + ".mode", m.mode);
    if (opt_num("request_rate", 0) >= 0) m.request_rate = opt_num("request_rate", 0);
    if (const int users = opt_count("concurrency", 0, kMaxLayoutSize); users >= 0) m.concurrency = users;
    if (const int tokens = opt_count("max_num_tokens", 1, 1 << 24); tokens > 0) m.max_num_tokens = tokens;
    if (opt_num("kv_cache_fraction", 0) > 0) m.kv_cache_fraction = opt_num("kv_cache_fraction", 0);
    if (!opt("scheduler_steps").empty()) {
      m.scheduler_steps = opt_count("scheduler_steps", 1, 1 << 16);
      if (m.scheduler_steps < 1)
        throw ConfigError(where + ".scheduler_steps", opt("scheduler_steps"), "expected an integer in 1..65536");
    }
    if (const int ep = opt_count("ep", 1, kMaxLayoutSize); ep > 0) m.layout.ep = ep;
    const std::string adp = opt("attention_dp");
    if (adp == "true" || adp == "1") m.layout.attention_dp = true;
    else if (!adp.empty() && adp != "false" && adp != "0")
      throw ConfigError(where + ".attention_dp", adp, "expected true or false");
    if (m.problem.empty()) m.problem = expert_layout_problem(m.model, m.layout);
    m.split = opt("split");
    if (m.mode == "online" && m.request_rate <= 0 && m.concurrency <= 0)
      throw ConfigError(where + ".request_rate", opt("request_rate"), "an online row needs request_rate or concurrency");
    const std::string load = m.mode == "static_batch" ? "/bs" + std::to_string(m.layout.batch_size)
                             : m.mode == "max_throughput" ? std::string("/ifb")
                             : m.request_rate > 0 ? "/qps" + detail::format_number(m.request_rate)
                                                  : "/users" + std::to_string(m.concurrency);
    m.id = (table.empty() ? std::string() : table + "/") + m.gpu + "/" + m.model_name + "/tp" +
           std::to_string(m.layout.tp) + "/pp" + std::to_string(m.layout.pp) +
           (m.layout.ep > 1 ? "/ep" + std::to_string(m.layout.ep) : "") + (m.layout.attention_dp ? "/adp" : "") + load + "/" +
           std::to_string(m.layout.input_len) + "-" + std::to_string(m.layout.output_len);
    // Serving rows name every metric but throughput (an online row's latency is a request's, next to its TTFT).
    if (m.metric == InferenceMetric::ttft_s || m.metric == InferenceMetric::tpot_s ||
        (m.metric == InferenceMetric::latency_s && m.mode != "static_batch"))
      m.id += "/" + std::string(to_string(m.metric));
    out.push_back(std::move(m));
  }
  if (out.empty()) throw ConfigError(path, "", "no measurement rows");
  return out;
}

std::vector<InferenceMeasurement> load_inference_measurements_csv(const std::string& path) {
  return parse_inference_measurements_csv(read_file_limited(path, kMaxConfigFileBytes, "measurements CSV"), path);
}

std::string inference_measurements_csv(const std::vector<InferenceMeasurement>& rows) {
  bool extended = false;  // the static tables keep their original 14 columns
  for (const auto& m : rows) extended |= m.mode != "static_batch" || !m.split.empty() || m.architecture_columns;
  std::string out = "model,gpu,tp,pp,batch_size,input_len,output_len,weight_dtype,kv_cache_dtype,metric,value,source,engine,table";
  if (extended)
    out += ",mode,concurrency,request_rate,max_num_tokens,kv_cache_fraction,split,ep,num_layers,hidden_size,"
           "num_attention_heads,num_query_groups,ffn_hidden_size,vocab_size,max_position_embeddings,moe_num_experts,"
           "moe_topk,moe_ffn_hidden_size,activation,attention_dp,scheduler_steps";
  out += "\n";
  auto num = [](double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.12g", v);
    return std::string(b);
  };
  for (const auto& m : rows) {
    const auto& l = m.layout;
    const std::string table = m.id.find('/') == std::string::npos ? "" : m.id.substr(0, m.id.find('/'));
    out += csv_field(m.model_name) + "," + csv_field(m.gpu) + "," + std::to_string(l.tp) + "," + std::to_string(l.pp) +
           "," + std::to_string(l.batch_size) + "," + std::to_string(l.input_len) + "," +
           std::to_string(l.output_len) + "," + l.weight_dtype + "," + l.kv_cache_dtype + "," + to_string(m.metric) +
           "," + num(m.value) + "," + csv_field(m.source) + "," + csv_field(m.engine) + "," + csv_field(table);
    if (extended) {
      out += "," + m.mode + "," + std::to_string(m.concurrency) + "," + num(m.request_rate) + "," +
             std::to_string(m.max_num_tokens) + "," + num(m.kv_cache_fraction) + "," + m.split + "," +
             std::to_string(l.ep);
      const auto& a = m.model;
      if (m.architecture_columns)
        out += "," + std::to_string(a.num_layers) + "," + std::to_string(a.hidden_size) + "," +
               std::to_string(a.num_attention_heads) + "," + std::to_string(a.num_query_groups) + "," +
               std::to_string(a.ffn_hidden_size) + "," + std::to_string(a.vocab_size) + "," +
               std::to_string(a.max_position_embeddings) + "," + std::to_string(a.moe_num_experts) + "," +
               std::to_string(a.moe_topk) + "," + std::to_string(a.moe_ffn_hidden_size) + "," + a.activation;
      else
        out += ",,,,,,,,,,,";
      out += l.attention_dp ? ",true" : ",false";
      out += "," + std::to_string(m.scheduler_steps);
    }
    out += "\n";
  }
  return out;
}

}  // namespace hp
