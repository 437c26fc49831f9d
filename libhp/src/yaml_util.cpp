#include "yaml_util.hpp"

#include <cmath>

#include "hp/files.hpp"

namespace hp::yaml {

YAML::Node parse(const std::string& text, const std::string& origin) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin, "line " + std::to_string(e.mark.line + 1) + " column " + std::to_string(e.mark.column + 1),
                      "malformed YAML: " + e.msg);
  }
}

std::string read_file(const std::string& path) { return read_file_limited(path, kMaxConfigFileBytes, "YAML config"); }

namespace {
// Flow style, stopping after kMaxTextChars: aliases can make a small file a huge (exponential) tree, and a
// message needs only its start.
constexpr std::size_t kMaxTextChars = 200;
void append_flow(const YAML::Node& n, std::string& out) {
  if (out.size() > kMaxTextChars) return;
  if (!n.IsDefined() || n.IsNull()) {
    out += "null";
  } else if (n.IsScalar()) {
    out += n.Scalar().substr(0, kMaxTextChars);
  } else if (n.IsSequence()) {
    out += '[';
    bool first = true;
    for (const auto& item : n) {
      if (out.size() > kMaxTextChars) break;
      out += first ? "" : ", ";
      first = false;
      append_flow(item, out);
    }
    out += ']';
  } else {
    out += '{';
    bool first = true;
    for (const auto& kv : n) {
      if (out.size() > kMaxTextChars) break;
      out += first ? "" : ", ";
      first = false;
      append_flow(kv.first, out);
      out += ": ";
      append_flow(kv.second, out);
    }
    out += '}';
  }
}
}  // namespace

std::string text(const YAML::Node& n) {
  if (!n.IsDefined()) return "<missing>";
  if (n.IsNull()) return "null";
  if (n.IsScalar()) return n.Scalar();
  std::string out;
  append_flow(n, out);
  if (out.size() > kMaxTextChars) out = out.substr(0, kMaxTextChars) + "...";
  return out;
}

namespace {
// Digits, ':' and '-' with at least one ':' (what a Slurm or Lightning clock looks like).
bool clock_like(const std::string& v) {
  return !v.empty() && v.find(':') != std::string::npos && v.find_first_not_of("0123456789:-") == std::string::npos;
}
}  // namespace

std::string emit(const YAML::Node& root) {
  YAML::Emitter e;
  e.SetIndent(2);
  e << root;
  std::istringstream in(e.c_str());
  std::string out, line;
  while (std::getline(in, line)) {
    // A value after "key: " or a sequence item after "- ".
    std::size_t at = line.find(": ");
    if (at != std::string::npos) {
      at += 2;
    } else {
      const std::size_t first = line.find_first_not_of(' ');
      at = first != std::string::npos && line.compare(first, 2, "- ") == 0 ? first + 2 : std::string::npos;
    }
    if (at != std::string::npos && clock_like(line.substr(at))) line = line.substr(0, at) + "\"" + line.substr(at) + "\"";
    out += line + "\n";
  }
  return out;
}

bool is_null(const YAML::Node& n) {
  return !n.IsDefined() || n.IsNull() || (n.IsScalar() && (n.Scalar() == "null" || n.Scalar() == "~"));
}

namespace {
template <class T>
T as(const YAML::Node& n, const std::string& key, const char* what) {
  if (!n.IsDefined()) throw ConfigError(key, "<missing>", std::string("required key is missing; expected ") + what);
  if (!n.IsScalar()) throw ConfigError(key, text(n), std::string("expected ") + what);
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(key, text(n), std::string("expected ") + what);
  }
}
}  // namespace

int get_int(const YAML::Node& n, const std::string& key) { return as<int>(n, key, "an integer"); }
long long get_int64(const YAML::Node& n, const std::string& key) { return as<long long>(n, key, "an integer"); }
double get_double(const YAML::Node& n, const std::string& key) {
  const double v = as<double>(n, key, "a finite number");
  if (!std::isfinite(v)) throw ConfigError(key, text(n), "expected a finite number");
  return v;
}

YAML::Node child(const YAML::Node& n, const std::string& key) {
  if (!is_map(n)) return YAML::Node(YAML::NodeType::Undefined);  // Node() would be a defined null
  return n[key];
}
bool get_bool(const YAML::Node& n, const std::string& key) { return as<bool>(n, key, "true or false"); }
std::string get_string(const YAML::Node& n, const std::string& key) { return as<std::string>(n, key, "a string"); }

std::vector<int> get_int_list(const YAML::Node& n, const std::string& key) {
  std::vector<int> out;
  if (is_null(n) || (n.IsScalar() && n.Scalar() == "auto")) return out;
  if (n.IsScalar()) return {get_int(n, key)};
  if (!n.IsSequence()) throw ConfigError(key, text(n), "expected \"auto\" or a list of integers");
  // Iterate: yaml-cpp 0.7's const operator[](index) on a sequence returns a null node.
  size_t i = 0;
  for (const auto& item : n) out.push_back(get_int(item, key + "[" + std::to_string(i++) + "]"));
  return out;
}

std::vector<std::string> get_string_list(const YAML::Node& n, const std::string& key) {
  std::vector<std::string> out;
  if (is_null(n) || (n.IsScalar() && n.Scalar() == "auto")) return out;
  if (n.IsScalar()) return {get_string(n, key)};
  if (!n.IsSequence()) throw ConfigError(key, text(n), "expected \"auto\" or a list of strings");
  size_t i = 0;
  for (const auto& item : n) out.push_back(get_string(item, key + "[" + std::to_string(i++) + "]"));
  return out;
}

}  // namespace hp::yaml
